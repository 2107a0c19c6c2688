import t from 'tap'
import { benchOverrides } from '../../bench/subjects/switchboard.js'
import { CREDENTIALS } from '../../bench/lib/wire.js'
import { startApp } from '../helpers/app.js'
import { client } from '../plugins/webrocket/fixture.js'

// The bench's `webrocket-rules` subject must really be decided by the authorizer, or its fan-out
// figure (issue 16) would measure nothing: its rules let the bench user use the bench channel only.
t.test('the rules variant lets the bench user use its channel and no other', async (t) => {
  const { storage, access, protocols } = benchOverrides({ sendBufferLimit: 1 << 20, variant: 'rules' }) as Record<string, unknown>
  t.ok(access, 'the variant configures access rules')
  const { wsUrl } = await startApp(t, { storage, access, protocols } as Record<string, unknown>)
  const ws = await client(wsUrl, '/webrocket/bench', CREDENTIALS.user, CREDENTIALS.secret)
  t.same(await ws.request({ subscribe: { channel: 'c' } }), { subscribed: 'c' }, 'the bench channel')
  const denied = await ws.request({ subscribe: { channel: 'elsewhere' } }) as { err?: unknown }
  t.ok(denied.err, 'another channel is denied (WebRocket default deny)')
  ws.close()
})

t.test('the plain bench config has no rules', async (t) => {
  t.notOk((benchOverrides({ sendBufferLimit: 1 << 20 }) as Record<string, unknown>).access)
})
