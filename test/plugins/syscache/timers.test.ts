import t from 'tap'
import { ADMIN } from '../../helpers/config.js'
import { authed, connect, rpc, syscacheApp } from './helpers.js'

t.test('an idle connection is closed with 1000 after idleTimeout', async (t) => {
  const app = await syscacheApp(t, { idleTimeout: 300 })
  const { client } = await authed(t, app)
  const started = Date.now()
  const { code } = await client.closed()
  t.equal(code, 1000)
  t.ok(Date.now() - started >= 250, 'not before the timeout')
})

t.test('every received frame restarts the idle timer', async (t) => {
  const app = await syscacheApp(t, { idleTimeout: 600 })
  const client = await connect(t, app)
  // Frames every 150 ms for 900 ms: the connection outlives its 600 ms timeout.
  for (let i = 0; i < 6; i++) {
    await client.expectNothing(150)
    client.send('garbage keeps it alive too')
    t.equal((await client.json()).args.code, 400)
  }
  t.equal(client.closeInfo, null, 'still open')
  t.equal((await client.closed()).code, 1000, 'closed once the frames stop')
})

t.test('a connection still unauthenticated after authWindow is closed with 1008', async (t) => {
  const app = await syscacheApp(t, { authWindow: 200 })
  const client = await connect(t, app)
  t.equal((await client.request(rpc('query', {}, 'q'))).args.code, 401)
  t.equal((await client.closed()).code, 1008)
})

t.test('authenticating within authWindow keeps the connection', async (t) => {
  // The window is strict (a slow password check does not extend it), so leave room for scrypt
  // (at the tests' low cost) on a busy box; then outlive the window.
  const app = await syscacheApp(t, { authWindow: 400 })
  const client = await connect(t, app)
  t.equal((await client.request(rpc('auth', ADMIN, 'a'))).name, 'response')
  await client.expectNothing(500)
  t.equal((await client.request(rpc('query', {}, 'q'))).name, 'response')
})

t.test('authWindow 0 and idleTimeout 0 are off', async (t) => {
  const app = await syscacheApp(t, { authWindow: 0, idleTimeout: 0 })
  const client = await connect(t, app)
  // Longer than the 200 and 300 ms timers the other tests here see fire.
  await client.expectNothing(350)
  t.equal(client.closeInfo, null)
  t.equal((await client.request(rpc('identify', {}, 'i'))).name, 'response')
})
