import t from 'tap'
import { connect, initialized, startReally } from './helpers.js'

t.test('authWindow: a socket not initialized in time is kicked (initialize.required) and closed (1008), however busy', async (t) => {
  const app = await startReally(t, { authWindow: 1000 })
  const waiting = await connect(t, app)
  const ready = await initialized(t, app)
  // Frames keep the idle timer away, but not the auth window.
  t.match(await waiting.request({ tag: 1, cmd: 'get', accessToken: 'x' }), { tag: 1, error: { code: 400, message: 'initialize.required' } })
  t.same(await waiting.json(5000), { evt: 'kicked', error: { code: 400, message: 'initialize.required' } })
  t.same(await waiting.closed(5000), { code: 1008, reason: 'not initialized' })
  t.same(await ready.request({ tag: 2, cmd: 'ping' }), { tag: 2, evt: 'pinged' }, 'an initialized socket stays past the window')
})

t.test('authWindow defaults to 30 s and 0 turns it off', async (t) => {
  const byDefault = await startReally(t)
  t.equal(byDefault.app.services.config.protocols.really.authWindow, 30_000)
  const off = await startReally(t, { authWindow: 0 })
  t.equal(off.app.services.config.protocols.really.authWindow, 0)
})
