import t, { type Test } from 'tap'
import { request, TEST_API_KEY } from '../helpers/app.js'
import { REDIS_URL } from '../helpers/infra.js'
import type { WsClient } from '../helpers/ws-client.js'
import { nextTwo } from '../plugins/webrocket/fixture.js'
import { open } from './clients.js'
import { startCluster, type Node } from './harness.js'
import { QUIET_CLUSTER } from '../helpers/quiet.js'

// WebRocket across real processes (plugins/webrocket/README.md): vhosts, users and channels in
// PostgreSQL (a cache miss reads the database, so REST changes on one node are usable on the
// others at once), broadcasts through the Redis broker.

const apiKey = TEST_API_KEY
const users = [
  { name: 'reader', secret: 'r-secret', permissions: ['READ'] },
  { name: 'writer', secret: 'w-secret', permissions: ['READ', 'WRITE'] },
]

async function authenticated (t: Test, node: Node, vhost: string, user: string, secret: string): Promise<WsClient> {
  const client = await open(t, `${node.wsUrl}/webrocket${vhost}`)
  t.same(await client.request({ authenticate: { user, secret } }), { authenticated: user }, `${user} authenticated on ${node.name}`)
  return client
}

t.test('two WebRocket nodes', async (t) => {
  const [a, b] = await startCluster(t, 2, { redisUrl: REDIS_URL })
  let accessToken = ''

  t.test('a vhost and users added through REST on A are usable on B at once', async (t) => {
    const created = await request(a.url, 'POST', '/api/webrocket/vhosts', { apiKey, body: { path: '/live', users } })
    t.equal(created.status, 201)
    accessToken = created.body.accessToken
    const reader = await authenticated(t, b, '/live', 'reader', 'r-secret')
    t.same(await reader.request({ subscribe: { channel: 'news' } }), { subscribed: 'news' })

    t.equal((await request(a.url, 'POST', '/api/webrocket/vhosts/live/users', { apiKey, body: { name: 'late', secret: 'l-secret', permissions: ['READ', 'WRITE'] } })).status, 201)
    const late = await authenticated(t, b, '/live', 'late', 'l-secret')
    t.same(await late.request({ broadcast: { event: 'hello', channel: 'news', data: { from: 'late' } } }), { broadcasted: 'news' }, 'its WRITE works on B')
    t.same(await reader.json(), { event: 'hello', channel: 'news', data: { from: 'late' } })

    const vhost = await request(b.url, 'GET', '/api/webrocket/vhosts/live', { headers: { 'x-webrocket-token': accessToken } })
    t.same(vhost.body.users.map((u: { name: string }) => u.name).sort(), ['late', 'reader', 'writer'], 'the vhost token issued on A opens the vhost routes on B')
  })

  t.test('broadcasts from clients and REST cross nodes both ways, exactly once', async (t) => {
    const onA = await authenticated(t, a, '/live', 'writer', 'w-secret')
    const onB = await authenticated(t, b, '/live', 'reader', 'r-secret')
    t.same(await onA.request({ subscribe: { channel: 'both' } }), { subscribed: 'both' })
    t.same(await onB.request({ subscribe: { channel: 'both' } }), { subscribed: 'both' })
    onA.send({ broadcast: { event: 'e1', channel: 'both', data: 1 } })
    t.same(await nextTwo(onA), [{ broadcasted: 'both' }, { event: 'e1', channel: 'both', data: 1 }])
    t.same(await onB.json(), { event: 'e1', channel: 'both', data: 1 }, 'client on A → client on B')
    const sent = await request(b.url, 'POST', '/api/webrocket/vhosts/live/broadcast', { headers: { 'x-webrocket-token': accessToken }, body: { channel: 'both', event: 'e2', data: 2 } })
    t.same(sent.body, { broadcasted: 'both' })
    t.same(await onA.json(), { event: 'e2', channel: 'both', data: 2 }, 'REST on B → client on A')
    t.same(await onB.json(), { event: 'e2', channel: 'both', data: 2 })
    await onB.expectNothing(QUIET_CLUSTER)
  })

  t.test('a regenerated vhost token and a removed user take effect on the other node', async (t) => {
    const renewed = await request(b.url, 'PUT', '/api/webrocket/vhosts/live/token', { headers: { 'x-webrocket-token': accessToken } })
    t.equal(renewed.status, 200)
    t.equal((await request(a.url, 'GET', '/api/webrocket/vhosts/live', { headers: { 'x-webrocket-token': accessToken } })).status, 401, 'old token refused on A')
    t.equal((await request(a.url, 'GET', '/api/webrocket/vhosts/live', { headers: { 'x-webrocket-token': renewed.body.accessToken } })).status, 200, 'new token accepted on A')
    accessToken = renewed.body.accessToken

    const late = await authenticated(t, a, '/live', 'late', 'l-secret')
    t.equal((await request(b.url, 'DELETE', '/api/webrocket/vhosts/live/users/late', { apiKey })).status, 204)
    t.equal((await late.closed()).code, 1008, 'its connection on A is closed')
    const again = await open(t, `${a.wsUrl}/webrocket/live`)
    t.same(await again.request({ authenticate: { user: 'late', secret: 'l-secret' } }), { err: 'USER_NOT_FOUND' })
  })

  t.test('node A killed: its client reconnects to B; vhost, user and channel are still there', async (t) => {
    const reader = await authenticated(t, a, '/live', 'reader', 'r-secret')
    t.same(await reader.request({ subscribe: { channel: 'kept' } }), { subscribed: 'kept' }, 'channel created through A')
    await a.kill()
    t.equal((await reader.closed()).code, 1006, 'the client saw its node die')

    const writer = await authenticated(t, b, '/live', 'writer', 'w-secret')
    t.same(await writer.request({ broadcast: { event: 'nobody', channel: 'kept' } }), { broadcasted: 'kept' }, 'the channel made on A exists on B')
    const back = await authenticated(t, b, '/live', 'reader', 'r-secret')
    t.same(await back.request({ subscribe: { channel: 'kept' } }), { subscribed: 'kept' })
    writer.send({ broadcast: { event: 'again', channel: 'kept', data: 'x' } })
    t.same(await writer.json(), { broadcasted: 'kept' })
    t.same(await back.json(), { event: 'again', channel: 'kept', data: 'x' }, 'delivered on B')
  })
})
