import t from 'tap'
import { benchOverrides, startSwitchboard } from '../../bench/subjects/switchboard.js'
import { CREDENTIALS, WIRES } from '../../bench/lib/wire.js'
import { FANOUT_SUBJECTS } from '../../bench/scenarios/options.js'
import { request, startApp } from '../helpers/app.js'
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

// Issue 17's figure: fan-out with metrics (plain `webrocket`, metrics on by default) against
// `webrocket-nometrics`, which must really have no metrics route.
t.test('the no-metrics variant turns metrics off; the plain config keeps them', async (t) => {
  const plain = benchOverrides({ sendBufferLimit: 1 << 20 }) as Record<string, unknown>
  t.notOk(plain.metrics, 'plain: the default (on)')
  const { storage, metrics, protocols } = benchOverrides({ sendBufferLimit: 1 << 20, variant: 'no-metrics' }) as Record<string, unknown>
  t.same(metrics, { enabled: false })
  t.equal(WIRES['webrocket-nometrics'].variant, 'no-metrics')
  t.ok(FANOUT_SUBJECTS.includes('webrocket-nometrics'), 'measured in the fan-out scenario')
  const off = await startApp(t, { storage, metrics, protocols } as Record<string, unknown>)
  t.equal((await request(off.url, 'GET', '/metrics')).status, 404, 'no metrics route')
  const on = await startApp(t, { storage: plain.storage, protocols: plain.protocols } as Record<string, unknown>)
  t.equal((await request(on.url, 'GET', '/metrics')).status, 200, 'plain: metrics served')
})

t.test('the bench subject starts this checkout, or the build of another (SWITCHBOARD_ROOT), and closes', async (t) => {
  for (const root of [undefined, process.cwd()]) {
    if (root === undefined) delete process.env.SWITCHBOARD_ROOT
    else process.env.SWITCHBOARD_ROOT = root
    const server = await startSwitchboard({ sendBufferLimit: 1 << 20 })
    const ws = await client(`ws://127.0.0.1:${server.port}`, '/webrocket/bench', CREDENTIALS.user, CREDENTIALS.secret)
    t.equal(server.connections(), 1, `${root ?? 'this checkout'}: one connection`)
    ws.close()
    await server.close()
  }
  delete process.env.SWITCHBOARD_ROOT
})
