import t from 'tap'
import { ADMIN, ALICE } from '../helpers/config.js'
import { login, request, startApp, TEST_API_KEY } from '../helpers/app.js'
import { postgresUrl } from '../helpers/infra.js'

const decode = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>

t.test('admin users API manages roles', async (t) => {
  const { app, url } = await startApp(t)
  const created = await request(url, 'POST', '/api/admin/users', { apiKey: TEST_API_KEY, body: { username: 'bob', password: 'bob-pass', roles: ['ops', 'audit'] } })
  t.equal(created.status, 201)
  t.same(created.body.roles, ['audit', 'ops'])
  const listed = await request(url, 'GET', '/api/admin/users', { apiKey: TEST_API_KEY })
  t.same(listed.body.map((u: { username: string, roles: string[] }) => [u.username, u.roles]), [['admin', []], ['alice', []], ['bob', ['audit', 'ops']]])

  const set = await request(url, 'PUT', '/api/admin/users/bob/roles', { apiKey: TEST_API_KEY, body: { roles: ['viewer'] } })
  t.equal(set.status, 200)
  t.match(set.body, { username: 'bob', roles: ['viewer'] })
  t.same(app.services.access.rolesOf({ kind: 'user', username: 'bob', admin: false }), ['viewer'], 'in force at once')
  t.same(app.services.access.rolesOf({ kind: 'user', username: 'admin', admin: true }), ['admin'], 'admin: true gives role admin')

  const admin = await request(url, 'PUT', '/api/admin/users/bob/roles', { apiKey: TEST_API_KEY, body: { roles: ['admin'] } })
  t.equal(admin.status, 400)
  t.match(admin.body.message, 'admin: true')
  t.equal((await request(url, 'PUT', '/api/admin/users/bob/roles', { apiKey: TEST_API_KEY, body: { roles: ['no spaces'] } })).status, 400)
  t.equal((await request(url, 'POST', '/api/admin/users', { apiKey: TEST_API_KEY, body: { username: 'eve', password: 'x', roles: ['admin'] } })).status, 400)
  t.equal((await request(url, 'PUT', '/api/admin/users/nobody/roles', { apiKey: TEST_API_KEY, body: { roles: [] } })).status, 404)
  t.equal((await request(url, 'PUT', '/api/admin/users/bob/roles', { token: await login(url, ALICE), body: { roles: [] } })).status, 403, 'service only')
  t.equal((await request(url, 'PUT', '/api/admin/users/bob/roles', { body: { roles: [] } })).status, 401)
})

t.test('POST /api/auth/tokens: a service mints a narrowed token; nobody can widen one', async (t) => {
  const { url } = await startApp(t, { users: [{ ...ADMIN, admin: true, email: null, roles: ['ops'] }, { ...ALICE, admin: false, email: null, roles: ['ops', 'audit'] }] })
  const mint = (body: Record<string, unknown>, auth: { apiKey?: string, token?: string } = { apiKey: TEST_API_KEY }) => request(url, 'POST', '/api/auth/tokens', { ...auth, body })

  const minted = await mint({ username: 'alice', roles: ['audit'], channels: ['telegraphy:ops.*', '/echo/**'], expiresIn: 60 })
  t.equal(minted.status, 200)
  t.match(minted.body, { token_type: 'Bearer', expires_in: 60, roles: ['audit'], channels: ['telegraphy:ops.*', '/echo/**'] })
  t.notOk('refresh_token' in minted.body, 'no refresh token: it would renew into a wider one')
  t.match(decode(minted.body.access_token), { sub: 'alice', adm: false, typ: 'access', roles: ['audit'], channels: ['telegraphy:ops.*', '/echo/**'] })
  const me = await request(url, 'GET', '/api/auth/me', { token: minted.body.access_token })
  t.same(me.body, { username: 'alice', admin: false }, 'a valid access token for the user')

  t.equal((await mint({ username: 'alice' })).status, 200, 'no claims: a plain token, minted by a service')
  const wider = await mint({ username: 'alice', roles: ['audit', 'admin'] })
  t.equal(wider.status, 400)
  t.match(wider.body.message, 'role admin is not one of alice\'s roles')
  t.equal((await mint({ username: 'alice', roles: ['wizard'] })).status, 400)
  t.match((await mint({ username: 'alice', channels: ['a/***'] })).body.message, 'three or more *')
  t.equal((await mint({ username: 'alice', expiresIn: 3601 })).status, 400, 'no longer than auth.accessTokenTtl')
  t.equal((await mint({ username: 'nobody' })).status, 404)

  t.equal((await mint({ username: 'alice' }, {})).status, 401)
  const aliceToken = await login(url, ALICE)
  t.equal((await mint({ username: 'alice', roles: ['ops'] }, { token: aliceToken })).status, 403, 'a user cannot mint, even for itself')

  const adminToken = await login(url, ADMIN)
  const narrowedAdmin = await mint({ username: 'admin', roles: ['admin'], channels: ['/only/this'] }, { token: adminToken })
  t.equal(narrowedAdmin.status, 200, 'an admin bearer is a service')
  t.equal(decode(narrowedAdmin.body.access_token).adm, true, 'keeps admin only when its roles keep admin')
  t.equal(decode((await mint({ username: 'admin', roles: ['ops'] })).body.access_token).adm, false, 'admin narrowed away: not an admin token')
  const widen = await mint({ username: 'admin' }, { token: narrowedAdmin.body.access_token })
  t.equal(widen.status, 403, 'a narrowed token cannot mint itself a wider one')
  t.match(widen.body.message, 'narrowed token is not a service credential')
  t.equal((await request(url, 'GET', '/api/admin/users', { token: narrowedAdmin.body.access_token })).status, 403, 'nor use any service route')
})

t.test('PostgreSQL: a user name no user can have is a 404, not a failed query', async (t) => {
  const { url } = await startApp(t, { storage: { database: await postgresUrl(t) } })
  const odd = encodeURIComponent('bad\u0000name')
  t.equal((await request(url, 'PUT', `/api/admin/users/${odd}/roles`, { apiKey: TEST_API_KEY, body: { roles: ['ops'] } })).status, 404)
  t.equal((await request(url, 'POST', '/api/auth/tokens', { apiKey: TEST_API_KEY, body: { username: 'bad\u0000name' } })).status, 400, 'the body schema refuses it')
})
