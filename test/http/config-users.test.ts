import { join } from 'node:path'
import t from 'tap'
import { ADMIN, TEST_API_KEY } from '../helpers/config.js'
import { login, request, sharedClusterOverrides, startApp } from '../helpers/app.js'
import { WsClient } from '../helpers/ws-client.js'

const BOB = { username: 'bob', password: 'bob-pass' }
const admin = { ...ADMIN, admin: true, email: null }
const bob = { ...BOB, admin: false, email: null }

t.test('a config user dropped from the config is disabled at the next start; CLI/API users are not', async (t) => {
  const database = `sqlite:${join(t.testdir({}), 'switchboard.db')}`
  const first = await startApp(t, { storage: { database }, users: [admin, bob] })
  const bobToken = await login(first.url, BOB)
  const made = await request(first.url, 'POST', '/api/admin/users', { apiKey: TEST_API_KEY, body: { username: 'carol', password: 'carol-pass' } })
  t.equal(made.status, 201)
  t.equal(made.body.disabled, false)
  await first.app.close()

  const second = await startApp(t, { storage: { database }, users: [admin] })
  const refused = await request(second.url, 'POST', '/api/auth/login', { body: BOB })
  t.equal(refused.status, 401, 'bob can no longer log in')
  t.equal((await request(second.url, 'GET', '/api/auth/me', { token: bobToken })).status, 401, 'nor use a token issued before')
  t.equal((await request(second.url, 'POST', '/oauth2/token', { form: { grant_type: 'password', client_id: 'das_web_client', ...BOB } })).status, 400, 'nor log in through OAuth')
  t.ok(await login(second.url, { username: 'carol', password: 'carol-pass' }), 'the API-made user survives')
  const list = await request(second.url, 'GET', '/api/admin/users', { apiKey: TEST_API_KEY })
  t.same(list.body.map((u: { username: string, disabled: boolean }) => [u.username, u.disabled]), [['admin', false], ['bob', true], ['carol', false]])
  await second.app.close()

  const third = await startApp(t, { storage: { database }, users: [admin, bob] })
  t.ok(await login(third.url, BOB), 'listed again: bob is enabled again')
})

t.test('a node starting without a user drops that user\'s live sockets on the other nodes', async (t) => {
  const shared = await sharedClusterOverrides(t)
  const a = await startApp(t, { ...shared, users: [admin, bob] })
  const { body } = await request(a.url, 'POST', '/auth/password/login/', { body: BOB })
  const client = await WsClient.connect(`${a.wsUrl}/v0.1/socket`)
  t.teardown(() => client.close())
  t.match(await client.request({ tag: 1, cmd: 'initialize', accessToken: body.accessToken }), { evt: 'initialized' })
  await startApp(t, { ...shared, users: [admin] })
  t.same(await client.json(), { evt: 'token-expired' })
  t.equal((await client.closed()).code, 1008)
})
