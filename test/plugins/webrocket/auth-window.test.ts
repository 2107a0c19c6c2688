import t from 'tap'
import { startApp } from '../../helpers/app.js'
import { client, overrides } from './fixture.js'

t.test('authWindow: a socket still unauthenticated when it runs out is closed (1008); authenticated ones stay', async (t) => {
  const { wsUrl } = await startApp(t, overrides({ authWindow: 1500 }))
  const idle = await client(wsUrl)
  const busy = await client(wsUrl)
  const authenticated = await client(wsUrl, '/webrocket/echo', 'front', 'read-secret')
  t.teardown(() => { idle.close(); busy.close(); authenticated.close() })
  // Frames that do not authenticate (a failed attempt included) do not keep a socket open.
  t.same(await busy.request({ authenticate: { user: 'front', secret: 'wrong' } }), { err: 'INVALID_CREDENTIALS' })
  t.same(await idle.closed(5000), { code: 1008, reason: 'not authenticated' })
  t.same(await busy.closed(5000), { code: 1008, reason: 'not authenticated' })
  t.same(await authenticated.request({ subscribe: { channel: 'news' } }), { subscribed: 'news' }, 'still open past the window')
})

t.test('authWindow is off by default (spec §2.6: no timers)', async (t) => {
  const { app } = await startApp(t, overrides())
  t.equal(app.services.config.protocols.webrocket.authWindow, 0)
})
