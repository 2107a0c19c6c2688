import t from 'tap'
import { login, request, TEST_API_KEY } from '../../helpers/app.js'
import { ADMIN, ALICE } from '../../helpers/config.js'
import { eventually } from '../../helpers/ws-client.js'
import { authed, connect, error, rpc, syscacheApp } from './helpers.js'

const UNAUTHORIZED = (id: string | number) => error(id, 401, 'Unauthorized')
const storedToken = (app: Awaited<ReturnType<typeof syscacheApp>>, token: string) => app.app.services.store.get(`sliding:syscache:${token}`)

t.test('auth with username and password: [token, seconds] as in the seed', async (t) => {
  const app = await syscacheApp(t, { tokenLifetime: '5m' })
  const client = await connect(t, app)
  const reply = await client.request(rpc('auth', ADMIN, 'sampleID'))
  t.same(Object.keys(reply).sort(), ['args', 'id', 'name', 'namespace'])
  t.match(reply, { namespace: 'rpc', name: 'response', id: 'sampleID' })
  t.match(reply.args[0], /^[A-Za-z0-9]{20}$/, '20 alphanumeric characters')
  t.equal(reply.args[1], 300, 'five minutes')
  t.equal(reply.args.length, 2)
  const query = await client.request(rpc('query', {}, 'q'))
  t.equal(query.name, 'response', 'authenticated requests now work')
})

t.test('bad credentials and malformed auth requests', async (t) => {
  const app = await syscacheApp(t)
  const client = await connect(t, app)
  t.same(await client.request(rpc('auth', { username: 'admin', password: 'wrong' }, 'a')), UNAUTHORIZED('a'))
  t.same(await client.request(rpc('auth', { username: 'nobody', password: 'x' }, 'b')), UNAUTHORIZED('b'))
  t.same(await client.request(rpc('auth', { username: 'admin' }, 'c')), UNAUTHORIZED('c'), 'no password, local logins off')
  t.same(await client.request(rpc('auth', { username: 1, password: 'x' }, 'd')), error('d', 400, 'Bad Request'))
  t.same(await client.request(rpc('auth', 'admin:admin-pass', 'e')), error('e', 400, 'Bad Request'))
  t.same(await client.request(rpc('auth_token', { token: 'AAAAAAAAAAAAAAAAAAAA' }, 'f')), UNAUTHORIZED('f'))
  t.same(await client.request(rpc('auth_token', { token: 5 }, 'g')), error('g', 400, 'Bad Request'))
  t.same(await client.request(rpc('auth_token', 'tok', 'h')), error('h', 400, 'Bad Request'))
  t.same(await client.request(rpc('query', {}, 'i')), UNAUTHORIZED('i'), 'still logged out')
})

t.test('a saved token works on a second connection, same token and seconds', async (t) => {
  const app = await syscacheApp(t, { tokenLifetime: 90_000 })
  const { token } = await authed(t, app, ALICE)
  const second = await connect(t, app)
  t.same(await second.request(rpc('auth_token', { token }, 'tok')), { namespace: 'rpc', name: 'response', id: 'tok', args: [token, 90] })
  t.equal((await second.request(rpc('query', {}, 'q'))).name, 'response')
})

t.test('a failed re-auth leaves the connection logged out', async (t) => {
  const app = await syscacheApp(t)
  const { client, token } = await authed(t, app)
  t.same(await client.request(rpc('auth', { username: 'admin', password: 'nope' }, 'a')), UNAUTHORIZED('a'))
  t.same(await client.request(rpc('query', {}, 'q')), UNAUTHORIZED('q'))
  t.same((await client.request(rpc('auth_token', { token }, 't'))).args[0], token, 'the token itself is still valid')
  t.same(await client.request(rpc('auth_token', { token: 'bad' }, 'b')), UNAUTHORIZED('b'))
  t.same(await client.request(rpc('query', {}, 'q2')), UNAUTHORIZED('q2'))
})

t.test('auth_clear replies nothing and kills the token for every connection', async (t) => {
  const app = await syscacheApp(t)
  const { client, token } = await authed(t, app)
  const other = await connect(t, app)
  t.equal((await other.request(rpc('auth_token', { token }, 'o'))).name, 'response')
  client.send(rpc('auth_clear', 'junk argument', 'sampleID'))
  // Frames are handled in order: the query's reply being the next frame shows auth_clear
  // replied nothing, and that it was done before the query ran.
  t.same(await client.request(rpc('query', {}, 'q')), UNAUTHORIZED('q'), 'nothing answers auth_clear; the query after it is refused')
  t.equal(await storedToken(app, token), null, 'gone from the store')
  t.same(await other.request(rpc('query', {}, 'q')), UNAUTHORIZED('q'), 'the other connection lost it too')
  const third = await connect(t, app)
  t.same(await third.request(rpc('auth_token', { token }, 't')), UNAUTHORIZED('t'))
  client.send(rpc('auth_clear', null, 'again'))
  t.match(await client.request(rpc('identify', {}, 'i')), { name: 'response', id: 'i' }, 'nothing answers auth_clear again; connection still usable')
})

t.test('the token expires after tokenLifetime of inactivity and activity refreshes it', async (t) => {
  const app = await syscacheApp(t, { tokenLifetime: 600 })
  const { client, token } = await authed(t, app)
  t.equal((await client.request(rpc('auth_token', { token }, 'x'))).args[1], 1, 'sub-second lifetimes round up to 1 s')
  // Six requests 150 ms apart: well past the 600 ms lifetime, each one restarting it.
  for (let i = 0; i < 6; i++) {
    await client.expectNothing(150)
    t.equal((await client.request(rpc('query', {}, `q${i}`))).name, 'response', `request ${i} refreshed the token`)
  }
  await eventually(async () => (await storedToken(app, token)) === null, 3000, 'token expiry')
  t.same(await client.request(rpc('query', {}, 'late')), UNAUTHORIZED('late'))
  const again = await connect(t, app)
  t.same(await again.request(rpc('auth_token', { token }, 't')), UNAUTHORIZED('t'))
})

t.test('allowLocalWithoutPassword lets a loopback client log in with a username', async (t) => {
  const app = await syscacheApp(t, { allowLocalWithoutPassword: true })
  const client = await connect(t, app)
  const reply = await client.request(rpc('auth', { username: 'alice' }, 'l'))
  t.equal(reply.name, 'response')
  t.match(reply.args[0], /^[A-Za-z0-9]{20}$/)
  t.same(await client.request(rpc('auth', { username: 'ghost' }, 'g')), UNAUTHORIZED('g'), 'user must exist')
  t.same(await client.request(rpc('auth', { username: 'alice', password: 'wrong' }, 'w')), UNAUTHORIZED('w'), 'a given password is checked')
  const proxied = await connect(t, app, { headers: { 'x-forwarded-for': '203.0.113.9' } })
  t.same(await proxied.request(rpc('auth', { username: 'alice' }, 'p')), UNAUTHORIZED('p'), 'forwarded by a proxy: not local')
})

t.test('removing a user kills its tokens and logs its connections out', async (t) => {
  const app = await syscacheApp(t)
  const { client, token } = await authed(t, app, ALICE)
  const removed = await request(app.url, 'DELETE', '/api/admin/users/alice', { apiKey: TEST_API_KEY })
  t.equal(removed.status, 204)
  t.same(await client.request(rpc('query', {}, 'q')), UNAUTHORIZED('q'))
  const other = await connect(t, app)
  t.same(await other.request(rpc('auth_token', { token }, 't')), UNAUTHORIZED('t'))
  const adminToken = await login(app.url)
  await request(app.url, 'POST', '/api/admin/users', { token: adminToken, body: { ...ALICE } })
  t.same(await other.request(rpc('auth_token', { token }, 't2')), UNAUTHORIZED('t2'), 'a new user of that name does not inherit it')
})
