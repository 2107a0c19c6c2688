import t, { type Test } from 'tap'
import { request, TEST_API_KEY } from '../helpers/app.js'
import { ALICE } from '../helpers/config.js'
import { REDIS_URL } from '../helpers/infra.js'
import { eventually, type WsClient } from '../helpers/ws-client.js'
import { authorizedClient, oauthToken } from '../plugins/das/das-client.js'
import { authToken, open as openTelegraphy, subscribe } from '../plugins/telegraphy/helpers.js'
import { open } from './clients.js'
import { startCluster, startNode, type Node } from './harness.js'

// Issue 20 across real processes: the connections API and presence of every protocol, asked on
// node A about connections held by node B (and a third node that is killed).

const configYaml = `presence: { ttl: 1500ms, heartbeat: 200ms }
connections: { timeout: 1s }
protocols:
  telegraphy: { events: [demo.Item] }
  das: { authWindow: 2s, connectAckDelay: 50ms }
  really:
    models:
      /users/:
        fields:
          name: { type: string, required: true }`

const apiKey = TEST_API_KEY
const WAIT = 3000

interface Listed { id: string, node: string, protocol: string, user: string | null, subscriptions: string[], framesIn: number, bytesIn: number, connectedSince: number, address: string }

async function listed (node: Node, query: string): Promise<{ connections: Listed[], incomplete: boolean, missingNodes: string[], nextCursor: string | null }> {
  const { status, body } = await request(node.url, 'GET', `/api/connections?${query}`, { apiKey })
  if (status !== 200) throw new Error(`list answered ${status} ${JSON.stringify(body)}`)
  return body
}

/** The one connection of `protocol` and `user` (asked on `node`), once it is listed with `subscriptions`. */
async function theConnection (node: Node, protocol: string, user: string, subscriptions: string[]): Promise<Listed> {
  let found: Listed[] = []
  await eventually(async () => {
    found = (await listed(node, `protocol=${protocol}&user=${user}`)).connections
    return found.length === 1 && JSON.stringify(found[0].subscriptions) === JSON.stringify(subscriptions)
  }, WAIT, `${protocol} connection of ${user} with ${subscriptions.join(', ')}`).catch((err: Error) => { throw new Error(`${err.message}: ${JSON.stringify(found)}`) })
  return found[0]
}

const presencePath = (protocol: string, channel: string) => `/api/presence/${protocol}/${encodeURIComponent(channel)}`

/** Presence of the channel asked on `node`, once it lists exactly `ids`. */
async function presenceIs (node: Node, protocol: string, channel: string, ids: string[]): Promise<{ users: string[], connections: Array<{ id: string, user: string | null, node: string }> }> {
  let body: { users: string[], connections: Array<{ id: string, user: string | null, node: string }> } = { users: [], connections: [] }
  await eventually(async () => {
    const reply = await request(node.url, 'GET', presencePath(protocol, channel), { apiKey })
    body = reply.body
    return reply.status === 200 && JSON.stringify(body.connections.map((c) => c.id).sort()) === JSON.stringify([...ids].sort())
  }, WAIT, `presence of ${protocol} ${channel} = [${ids.join(', ')}]`).catch((err: Error) => { throw new Error(`${err.message}: ${JSON.stringify(body)}`) })
  return body
}

async function closeFrom (t: Test, node: Node, id: string): Promise<void> {
  t.equal((await request(node.url, 'DELETE', `/api/connections/${encodeURIComponent(id)}`, { apiKey })).status, 204, 'closed from A')
}

t.test('connections and presence across nodes', async (t) => {
  const [a, b] = await startCluster(t, 2, { redisUrl: REDIS_URL, configYaml })

  t.test('WebRocket: a subscriber on B is present and listed on A; unsubscribe, then closed from A', async (t) => {
    const client = await open(t, `${b.wsUrl}/webrocket/echo`)
    t.same(await client.request({ authenticate: { user: 'joe', secret: 's3cret' } }), { authenticated: 'joe' })
    t.same(await client.request({ subscribe: { channel: 'hello' } }), { subscribed: 'hello' })
    const connection = await theConnection(a, 'webrocket', 'joe', ['/echo/hello'])
    t.match(connection, { protocol: 'webrocket', user: 'joe', address: '127.0.0.1' })
    t.ok(connection.framesIn >= 2 && connection.bytesIn > 0, 'its traffic is counted')
    t.same((await listed(b, 'protocol=webrocket&user=joe')).connections[0].node, connection.node, 'the same node, asked on B')
    const present = await presenceIs(a, 'webrocket', '/echo/hello', [connection.id])
    t.same(present.users, ['joe'])
    t.same(present.connections, [{ id: connection.id, user: 'joe', node: connection.node }])
    const stats = await request(a.url, 'GET', `${presencePath('webrocket', '/echo/hello')}/stats`, { apiKey })
    t.same(stats.body, { protocol: 'webrocket', channel: '/echo/hello', connections: 1, users: 1 })

    t.same(await client.request({ unsubscribe: { channel: 'hello' } }), { unsubscribed: 'hello' })
    await presenceIs(a, 'webrocket', '/echo/hello', [])
    t.same((await theConnection(a, 'webrocket', 'joe', [])).id, connection.id, 'still listed, without the channel')
    t.same(await client.request({ subscribe: { channel: 'hello' } }), { subscribed: 'hello' })
    await presenceIs(a, 'webrocket', '/echo/hello', [connection.id])
    await closeFrom(t, a, connection.id)
    t.match(await client.closed(), { code: 1008, reason: 'closed by an operator' })
    await presenceIs(a, 'webrocket', '/echo/hello', [])
    t.equal((await request(a.url, 'DELETE', `/api/connections/${connection.id}`, { apiKey })).status, 404, 'gone: 404')
  })

  t.test('syscache: a subscriber on B is present by event type; the user\'s connections closed from A', async (t) => {
    const client = await open(t, `${b.wsUrl}/syscache`)
    t.equal((await client.request({ namespace: 'rpc', name: 'auth', id: 'l', args: ALICE })).name, 'response')
    await client.request({ namespace: 'events', name: 'subscribe', id: 'e1', args: ['dispatcher', 'system-state'] })
    const connection = await theConnection(a, 'syscache', 'alice', ['dispatcher', 'system-state'])
    await presenceIs(a, 'syscache', 'dispatcher', [connection.id])
    await client.request({ namespace: 'events', name: 'unsubscribe', id: 'e2', args: 'dispatcher' })
    await presenceIs(a, 'syscache', 'dispatcher', [])
    await presenceIs(a, 'syscache', 'system-state', [connection.id])
    const closed = await request(a.url, 'DELETE', '/api/users/alice/connections', { apiKey })
    t.same(closed.body, { closed: 1, incomplete: false, missingNodes: [] })
    t.equal((await client.closed()).code, 1008)
    await presenceIs(a, 'syscache', 'system-state', [])
  })

  t.test('Telegraphy: a subscriber on B is present by event name; closed from A', async (t) => {
    const auth = await authToken(a.url)
    const client = await openTelegraphy(b.wsUrl)
    t.teardown(() => client.close())
    t.match(await client.request({ message: 'CONNECT', id: 1, args: { auth_token: auth } }), { status: 'CONNECTED' })
    await subscribe(client, 2, { event_name: 'demo.Item' })
    await subscribe(client, 3, { event_name: 'demo.Item', filters: { id: 1 } })
    const connection = await theConnection(a, 'telegraphy', 'alice', ['demo.Item'])
    await presenceIs(a, 'telegraphy', 'demo.Item', [connection.id])
    t.match(await client.request({ message: 'UNSUBSCRIBE', id: 4, args: { event_name: 'demo.Item' } }), { status: 'UNSUBSCRIBED' })
    await presenceIs(a, 'telegraphy', 'demo.Item', [connection.id]) // the filtered one is left
    t.match(await client.request({ message: 'UNSUBSCRIBE', id: 5, args: { event_name: 'demo.Item', filters: { id: 1 } } }), { status: 'UNSUBSCRIBED' })
    await presenceIs(a, 'telegraphy', 'demo.Item', [])
    await subscribe(client, 6, { event_name: 'demo.Item' })
    await presenceIs(a, 'telegraphy', 'demo.Item', [connection.id])
    await closeFrom(t, a, connection.id)
    t.equal((await client.closed()).code, 1008)
    await presenceIs(a, 'telegraphy', 'demo.Item', [])
  })

  t.test('Really: a subscriber on B is present by R; closed from A with a kicked push', async (t) => {
    const login = await request(a.url, 'POST', '/auth/password/login/', { body: ALICE })
    const client = await open(t, `${b.wsUrl}/v0.1/socket`)
    t.equal((await client.request({ tag: 1, cmd: 'initialize', accessToken: login.body.accessToken })).evt, 'initialized')
    const { r } = await client.request({ tag: 2, cmd: 'create', r: '/users/', body: { name: 'Ada' } })
    t.same((await client.request({ tag: 3, cmd: 'subscribe', body: { subscriptions: [{ r, rev: 1 }, { r: '/users/', rev: 0 }] } })).body, { subscriptions: [r, '/users/*/'] })
    const connection = await theConnection(a, 'really', 'alice', [r, '/users/*/'].sort())
    await presenceIs(a, 'really', r, [connection.id])
    t.match(await client.request({ tag: 4, cmd: 'unsubscribe', body: { subscriptions: ['/users/'] } }), { tag: 4 })
    await presenceIs(a, 'really', '/users/*/', [])
    await closeFrom(t, a, connection.id)
    t.same(await client.json(), { evt: 'kicked', error: { code: 410, message: 'socket.closed' } })
    t.equal((await client.closed()).code, 1008)
    await presenceIs(a, 'really', r, [])
  })

  t.test('DAS: an authorized socket on B is present in its namespace; closed from A', async (t) => {
    const client = await authorizedClient(t, b.url, await oauthToken(a.url, ALICE))
    const connection = await theConnection(a, 'das', 'alice', ['/das'])
    t.equal(connection.id, client.id)
    await presenceIs(a, 'das', '/das', [connection.id])
    await closeFrom(t, a, connection.id)
    t.equal(await client.disconnected(), 'io server disconnect')
    await presenceIs(a, 'das', '/das', [])
  })

  t.test('a killed node: listed as missing until its ttl, its presence gone within the ttl', async (t) => {
    const c = await startNode(t, 'node2', ...a.shared)
    const client = await open(t, `${c.wsUrl}/webrocket/echo`)
    t.same(await client.request({ authenticate: { user: 'joe', secret: 's3cret' } }), { authenticated: 'joe' })
    t.same(await client.request({ subscribe: { channel: 'crash' } }), { subscribed: 'crash' })
    const connection = await theConnection(a, 'webrocket', 'joe', ['/echo/crash'])
    await presenceIs(a, 'webrocket', '/echo/crash', [connection.id])
    await c.kill()
    const killedAt = Date.now()
    const during = await listed(a, 'protocol=webrocket')
    t.same({ incomplete: during.incomplete, missingNodes: during.missingNodes }, { incomplete: true, missingNodes: [connection.node] }, 'the dead node is reported, not waited for')
    await presenceIs(a, 'webrocket', '/echo/crash', [])
    t.ok(Date.now() - killedAt < 1500 + 1000, 'presence gone within the ttl (and the list\'s wait)')
    await eventually(async () => !(await listed(a, '')).incomplete, WAIT, 'the dead node no longer expected')
  })

  t.test('pages of every node\'s connections: limit and cursor, each connection once', async (t) => {
    const clients: WsClient[] = []
    for (const node of [a, b, a, b, a]) clients.push(await open(t, `${node.wsUrl}/webrocket/echo`))
    await eventually(async () => (await listed(a, 'protocol=webrocket')).connections.length === 5, WAIT, 'five listed')
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: Awaited<ReturnType<typeof listed>> = await listed(a, `protocol=webrocket&limit=2${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`)
      t.ok(page.connections.length <= 2)
      seen.push(...page.connections.map((c) => c.id))
      cursor = page.nextCursor
    } while (cursor !== null)
    t.equal(seen.length, 5)
    t.equal(new Set(seen).size, 5, 'no connection twice')
    t.same(seen, [...seen].sort(), 'ordered by id')
  })
})
