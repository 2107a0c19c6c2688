import { createSigner } from 'fast-jwt'
import t from 'tap'
import { request, TEST_API_KEY } from '../../helpers/app.js'
import { TEST_SECRET } from '../../helpers/config.js'
import { WsClient } from '../../helpers/ws-client.js'
import { anonymousToken, connect, initialized, startReally } from './helpers.js'

const sign = createSigner({ key: TEST_SECRET, algorithm: 'HS256' })
const otherSign = createSigner({ key: 'another-secret-that-is-long-enough', algorithm: 'HS256' })
const claims = (extra: Record<string, unknown> = {}) => ({ uid: '42', authType: 'anonymous', expires: Date.now() + 60_000, data: {}, ...extra })

t.test('version check before the upgrade (§4.2)', async (t) => {
  const app = await startReally(t)
  const refused = await WsClient.connect(app.wsUrl + '/v0.2/socket').then(() => null, (err) => err)
  t.equal(refused?.statusCode, 400)
  t.same(JSON.parse(refused.body), { code: 400, reason: 'protocol version is not supported' })
  const ok = await connect(t, app)
  t.ok(ok.ws.readyState === 1, 'v0.1 upgrades')
})

t.test('prefix and versions are configurable', async (t) => {
  const app = await startReally(t, { prefix: '/really', versions: ['v0.1', 'v0.2'] })
  await connect(t, app, '/really/v0.2/socket')
  const unprefixed = await WsClient.connect(app.wsUrl + '/v0.1/socket').then(() => null, (err) => err)
  t.equal(unprefixed?.statusCode, 404)
  const { status, body } = await request(app.url, 'POST', '/really/auth/anonymous/')
  t.equal(status, 200)
  t.equal(body.authType, 'anonymous')
})

t.test('malformed JSON before initialization closes the socket (§4.4)', async (t) => {
  const app = await startReally(t)
  for (const bad of ['{{{}', '[1,2]', '"text"', 'null']) {
    const client = await connect(t, app)
    client.sendRaw(bad)
    t.same(await client.json(), { error: { code: 400, message: 'json.malformed' } }, bad)
    await client.closed()
  }
})

t.test('initialization errors keep the connection (§4.4, §4.11)', async (t) => {
  const app = await startReally(t)
  const client = await connect(t, app)
  const token = await anonymousToken(app.url)
  const invalid = { error: { code: 400, message: 'initialize.invalid' } }
  t.same(await client.request({ tag: 'testtag', cmd: 'initialize', accessToken: token }), invalid, 'string tag')
  t.same(await client.request({ tag: 1, cmd: 'initialize' }), invalid, 'no accessToken')
  t.same(await client.request({ tag: 1, accessToken: token }), invalid, 'no cmd')
  t.same(await client.request({ tag: 2, cmd: 'ping' }), invalid, 'ping before initialize (§4.10 item 3)')
  t.same(await client.request({ tag: 3, cmd: 'GET', accessToken: token }), { tag: 3, error: { code: 400, message: 'initialize.required' } })
  const tokenInvalid = { tag: 4, error: { code: 401, message: 'token.invalid' } }
  t.same(await client.request({ tag: 4, cmd: 'initialize', accessToken: 'Ac66bf' }), tokenInvalid, 'not a JWT')
  t.same(await client.request({ tag: 4, cmd: 'initialize', accessToken: otherSign(claims()) }), tokenInvalid, 'bad signature')
  t.same(await client.request({ tag: 4, cmd: 'initialize', accessToken: sign(claims({ authType: 'facebook' })) }), tokenInvalid, 'unknown authType')
  t.same(await client.request({ tag: 4, cmd: 'initialize', accessToken: sign(claims({ uid: 7 })) }), tokenInvalid, 'uid not a string')
  t.same(await client.request({ tag: 4, cmd: 'initialize', accessToken: sign(claims({ data: [] })) }), tokenInvalid, 'data not an object')
  t.same(await client.request({ tag: 4, cmd: 'initialize', accessToken: sign(claims({ expires: 'soon' })) }), tokenInvalid, 'expires not a number')
  t.same(await client.request({ tag: 5, cmd: 'initialize', accessToken: sign(claims({ expires: Date.now() - 2 * 3600_000 })) }),
    { tag: 5, error: { code: 401, message: 'token.expired' } })
  const ok = await client.request({ tag: 6, cmd: 'Initialize', accessToken: sign(claims({ _r: '/users/1142', data: { a: 1 } })) })
  t.equal(ok.tag, 6)
  t.equal(ok.evt, 'initialized')
  t.type(ok.body['connection-handle'], 'string')
  const user = { authType: 'anonymous', uid: '42', _r: '/users/1142/', data: { a: 1 } }
  t.same(ok.body.user, user)
  t.match(ok.body, user, 'UserInfo flattened too (§4.10 item 1)')
})

t.test('a token without expires (or 0) never expires (§4.10 item 6)', async (t) => {
  const app = await startReally(t)
  for (const expires of [undefined, 0]) {
    const client = await connect(t, app)
    const reply = await client.request({ tag: 1, cmd: 'initialize', accessToken: sign({ uid: 'u', authType: 'email', data: {}, expires }) })
    t.equal(reply.evt, 'initialized')
  }
})

t.test('after initialization: ping, tags, invalid commands (§4.4)', async (t) => {
  const app = await startReally(t)
  const client = await initialized(t, app)
  t.same(await client.request({ tag: 2, cmd: 'ping' }), { tag: 2, evt: 'pinged' })
  t.same(await client.request({ tag: 2.5, cmd: 'PING' }), { tag: 2.5, evt: 'pinged' })
  t.same(await client.request({ cmd: 'ping' }), { error: { code: 400, message: 'json.malformed' } }, 'no tag')
  t.same(await client.request({ tag: 3 }), { tag: 3, error: { code: 400, message: 'json.malformed' } }, 'no cmd')
  t.same(await client.request({ tag: 4, cmd: 'Fly' }), { tag: 4, error: { code: 454, message: 'Invalid command: fly' } })
  t.same(await client.request({ tag: 5, cmd: 'initialize', accessToken: 'x' }), { tag: 5, error: { code: 454, message: 'Invalid command: initialize' } })
  t.same(await client.request({ tag: 6, cmd: 'ping' }), { tag: 6, evt: 'pinged' }, 'still open')
  client.sendRaw('{"tag":7,')
  t.same(await client.json(), { error: { code: 400, message: 'json.malformed' } })
  await client.closed()
})

t.test('idle connections are kicked (§4.7)', async (t) => {
  const app = await startReally(t, { idleTimeout: 400 })
  const client = await initialized(t, app)
  for (let i = 0; i < 3; i++) {
    t.same(await client.request({ tag: i, cmd: 'ping' }), { tag: i, evt: 'pinged' })
    await client.expectNothing(200)
  }
  t.same(await client.json(), { evt: 'kicked', error: { code: 408, message: 'socket.idle' } })
  await client.closed()
  const uninitialized = await connect(t, app)
  t.equal((await uninitialized.json()).evt, 'kicked', 'before initialization too')
  await uninitialized.closed()
})

t.test('token expiry during the connection pushes token-expired (§4.7)', async (t) => {
  const app = await startReally(t)
  const client = await initialized(t, app, sign(claims({ expires: Date.now() + 400 })))
  t.same(await client.request({ tag: 2, cmd: 'ping' }), { tag: 2, evt: 'pinged' })
  t.same(await client.json(), { evt: 'token-expired' })
  await client.closed()
})

t.test('password tokens; removing the user revokes them', async (t) => {
  const app = await startReally(t, {}, { users: [{ username: 'admin', password: 'admin-pass', email: null, admin: true }, { username: 'bob', password: 'bob-pass', email: 'bob@example.test', admin: false }] })
  const byEmail = await request(app.url, 'POST', '/auth/password/login/', { body: { email: 'bob@example.test', password: 'bob-pass' } })
  t.equal(byEmail.status, 200)
  t.equal(byEmail.body.authType, 'password')
  const byName = await request(app.url, 'POST', '/auth/password/login/', { body: { username: 'bob', password: 'bob-pass' } })
  t.equal(byName.status, 200)
  t.equal((await request(app.url, 'POST', '/auth/password/login/', { body: { username: 'bob', password: 'nope' } })).status, 401)
  t.equal((await request(app.url, 'POST', '/auth/password/login/', { body: { email: 'x@y', username: 'bob', password: 'bob-pass' } })).status, 400)
  t.equal((await request(app.url, 'POST', '/auth/password/login/', { body: { password: 'bob-pass' } })).status, 400)

  const client = await connect(t, app)
  const init = await client.request({ tag: 1, cmd: 'initialize', accessToken: byName.body.accessToken })
  t.match(init.body.user, { authType: 'password', uid: 'bob', data: { username: 'bob', email: 'bob@example.test' } })
  const removed = await request(app.url, 'DELETE', '/api/admin/users/bob', { apiKey: TEST_API_KEY })
  t.ok(removed.status < 300, 'user removed')
  t.same(await client.json(), { evt: 'token-expired' })
  await client.closed()
  const again = await connect(t, app)
  t.same(await again.request({ tag: 2, cmd: 'initialize', accessToken: byEmail.body.accessToken }), { tag: 2, error: { code: 401, message: 'token.invalid' } })
})

t.test('anonymous tokens carry the body as data and the configured ttl', async (t) => {
  const app = await startReally(t, { anonymousTokenTtl: 5000 })
  const token = await anonymousToken(app.url, { nick: 'zed' })
  const client = await connect(t, app)
  const init = await client.request({ tag: 1, cmd: 'initialize', accessToken: token })
  t.match(init.body.user, { authType: 'anonymous', data: { nick: 'zed' } })
  t.match(init.body.user.uid, /^\d+$/)
  const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())
  t.ok(payload.expires > Date.now() + 3000 && payload.expires <= Date.now() + 5000, 'expires in ms, from anonymousTokenTtl')
  const empty = await request(app.url, 'POST', '/auth/anonymous/')
  t.equal(empty.status, 200, 'body is optional')
  t.equal((await request(app.url, 'POST', '/auth/anonymous/', { body: '[1]' })).status, 400, 'data must be an object')
})
