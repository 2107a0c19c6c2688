import t, { type Test } from 'tap'
import { request, TEST_API_KEY } from '../helpers/app.js'
import { ALICE } from '../helpers/config.js'
import { REDIS_URL } from '../helpers/infra.js'
import type { WsClient } from '../helpers/ws-client.js'
import { open } from './clients.js'
import { startCluster, type Node } from './harness.js'
import { QUIET_CLUSTER } from '../helpers/quiet.js'

// syscache across real processes: sliding tokens live in Redis, last events of each type in
// the store, event fan-out through the Redis broker (plugins/syscache/README.md).

const rpc = (name: string, args: unknown, id = 'r1') => ({ namespace: 'rpc', name, id, args })
const events = (name: string, args: unknown, id = 'e1') => ({ namespace: 'events', name, id, args })
const event = (name: string, args: unknown) => ({ namespace: 'events', name: 'event', id: '', args: { name, args } })
const unauthorized = (id: string) => ({ namespace: 'rpc', name: 'error', id, args: { code: 401, message: 'Unauthorized' } })


const socket = (t: Test, node: Node) => open(t, `${node.wsUrl}/syscache`)

async function login (t: Test, node: Node): Promise<{ client: WsClient, token: string }> {
  const client = await socket(t, node)
  const reply = await client.request(rpc('auth', ALICE, 'login'))
  if (reply.name !== 'response') throw new Error(`login failed: ${JSON.stringify(reply)}`)
  return { client, token: reply.args[0] as string }
}

async function resume (t: Test, node: Node, token: string): Promise<WsClient> {
  const client = await socket(t, node)
  t.same(await client.request(rpc('auth_token', { token }, 'again')), { namespace: 'rpc', name: 'response', id: 'again', args: [token, 60] }, `saved token accepted on ${node.name}`)
  return client
}

async function push (node: Node, type: string, payload: unknown): Promise<void> {
  const { status } = await request(node.url, 'POST', `/api/syscache/events/${type}`, { apiKey: TEST_API_KEY, body: payload })
  if (status !== 204) throw new Error(`event push answered ${status}`)
}

t.test('two syscache nodes', async (t) => {
  const [a, b] = await startCluster(t, 2, { redisUrl: REDIS_URL, configYaml: 'protocols:\n  syscache:\n    tokenLifetime: 60s' })

  t.test('a token issued on A is accepted by auth_token on B', async (t) => {
    const { token } = await login(t, a)
    const there = await resume(t, b, token)
    t.equal((await there.request(rpc('query', {}, 'q'))).name, 'response', 'and authorises requests there')
  })

  t.test('events pushed through A reach subscribers on B, and B replays the last one', async (t) => {
    const { client: onB } = await login(t, b)
    const { client: onA } = await login(t, a)
    t.same(await onB.request(events('subscribe', ['dispatcher'])), { namespace: 'events', name: 'response', id: 'e1', args: { subscribe: 'dispatcher' } })
    t.same(await onA.request(events('subscribe', 'dispatcher')), { namespace: 'events', name: 'response', id: 'e1', args: { subscribe: 'dispatcher' } })
    await push(a, 'dispatcher', { state: 'running', process_id: 'p1' })
    t.same(await onB.json(), event('dispatcher', { state: 'running', process_id: 'p1' }), 'A → B')
    t.same(await onA.json(), event('dispatcher', { state: 'running', process_id: 'p1' }))
    await push(b, 'dispatcher', { state: 'finished', process_id: 'p1' })
    t.same(await onA.json(), event('dispatcher', { state: 'finished', process_id: 'p1' }), 'B → A')
    t.same(await onB.json(), event('dispatcher', { state: 'finished', process_id: 'p1' }))
    await onB.expectNothing(QUIET_CLUSTER)

    const late = (await login(t, a)).client
    t.same(await late.request(events('subscribe', ['dispatcher'])), { namespace: 'events', name: 'response', id: 'e1', args: { subscribe: 'dispatcher' } })
    t.same(await late.json(), event('dispatcher', { state: 'finished', process_id: 'p1' }), 'last event pushed on B replayed on A')
  })

  t.test('auth_clear on A ends the token on B, for open connections and new ones', async (t) => {
    const { client: here, token } = await login(t, a)
    const there = await resume(t, b, token)
    here.send(rpc('auth_clear', {}))
    await here.expectNothing(QUIET_CLUSTER) // auth_clear never replies
    let reply: unknown
    const deadline = Date.now() + 2000
    do reply = await there.request(rpc('query', {}, 'q'))
    while ((reply as { name: string }).name === 'response' && Date.now() < deadline)
    t.same(reply, unauthorized('q'), 'the connection on B is logged out')
    const fresh = await socket(t, b)
    t.same(await fresh.request(rpc('auth_token', { token }, 'x')), unauthorized('x'), 'the cleared token is refused on B')
  })

  t.test('node A killed: its client resumes on B with the saved token and gets its events', async (t) => {
    const { client, token } = await login(t, a)
    await client.request(events('subscribe', ['system-state', 'life-preserver']))
    await push(b, 'system-state', { hostname: 'h', updates: 'none' })
    t.same(await client.json(), event('system-state', { hostname: 'h', updates: 'none' }), 'live on A before the kill')

    await a.kill()
    t.equal((await client.closed()).code, 1006, 'the client saw its node die')
    await push(b, 'life-preserver', { message: 'while away' })

    const back = await resume(t, b, token)
    t.same(await back.request(events('subscribe', ['system-state', 'life-preserver'])), { namespace: 'events', name: 'response', id: 'e1', args: { subscribe: 'life-preserver' } })
    const replayed = [await back.json(), await back.json()]
    t.same(replayed, [event('system-state', { hostname: 'h', updates: 'none' }), event('life-preserver', { message: 'while away' })], 'last event of each type, including the one pushed while away')
    await push(b, 'system-state', { hostname: 'h', updates: 'available' })
    t.same(await back.json(), event('system-state', { hostname: 'h', updates: 'available' }), 'live on B')
    t.equal((await back.request(rpc('query', {}, 'q'))).name, 'response')
  })
})
