import t, { type Test } from 'tap'
import { request, sharedClusterOverrides, startApp, TEST_API_KEY, type RunningApp } from '../../helpers/app.js'
import { ALICE } from '../../helpers/config.js'
import { PortSwitch } from '../../helpers/port-switch.js'
import { authorizedClient, dasOverrides, oauthToken, type ClientVersion, type DasClient } from './das-client.js'

// Issue 18: a graceful shutdown closes each Engine.IO connection without a Socket.IO DISCONNECT
// (plugins/das/README.md "Shutdown and node loss"), which socket.io-client 2.x and 4.x treat as a reason to
// reconnect. The clients keep their library's reconnection delays, as dashboards do.

const BACK_WITHIN = 5000
const VERSIONS: ClientVersion[] = [2, 4]

async function emitAnnouncement (base: string, text: string): Promise<void> {
  const { status } = await request(base, 'POST', '/api/das/emit', { apiKey: TEST_API_KEY, body: { type: 'new_announcement', data: { text } } })
  if (status !== 202) throw new Error(`emit answered ${status}`)
}

/**
 * Resolves once the client is connected again and authorized on its new connection, which it
 * does as soon as it connects (as das-web-react does on `connect`): a socket that waits is
 * dropped when the auth window ends, with a DISCONNECT after which no client comes back.
 */
async function backAndAuthorized (client: DasClient, token: string): Promise<Record<string, unknown>> {
  await client.reconnected(BACK_WITHIN)
  return client.authorize(token, 2, BACK_WITHIN)
}

/** An emit reaches each client on its new connection. */
async function emitsReach (t: Test, clients: DasClient[], base: string, text: string): Promise<void> {
  await emitAnnouncement(base, text)
  for (const client of clients) t.match(await client.next('new_announcement'), { text, mid: 1 }, `v${client.version} gets emits on its new connection`)
}

// On a loaded box (the whole suite on two cores) a fresh connection's first answer once took
// longer than the default 2 s, so the auth window here is as long as the reconnect's bound.
const restartOverrides = () => dasOverrides({ authWindow: BACK_WITHIN })

for (const version of VERSIONS) {
  t.test(`v${version} client: back by itself within 5 s of a restart on the same port`, async (t) => {
    const first = await startApp(t, restartOverrides())
    const token = await oauthToken(first.url, ALICE)
    const client = await authorizedClient(t, first.url, token, { version, reconnect: true })
    const back = backAndAuthorized(client, token)
    const stopping = Date.now()
    await first.app.close()
    t.equal(await client.disconnected(), 'transport close', 'not `io server disconnect`, after which it would stay away')
    const second = await startApp(t, { ...restartOverrides(), server: { port: first.port } })
    t.match(await back, { status: { code: 200 } }, `v${version} authorized again`)
    t.ok(Date.now() - stopping < 2 * BACK_WITHIN, `connected and authorized again ${Date.now() - stopping} ms after the shutdown began`)
    await emitsReach(t, [client], second.url, 'after the restart')
  })
}

/**
 * Nodes A and B sharing Redis and PostgreSQL behind a balancer that sends new connections to A,
 * and a v2 and a v4 client connected through it. `moveOff` takes A out (the balancer now points
 * at B); then both clients are back by themselves on B within 5 s and get its emits.
 */
async function clientsMoveToB (t: Test, moveOff: (a: RunningApp, balancer: PortSwitch) => Promise<void> | void): Promise<void> {
  const overrides = { ...await sharedClusterOverrides(t), ...restartOverrides() }
  const a = await startApp(t, overrides)
  const b = await startApp(t, overrides)
  const balancer = await PortSwitch.start(t, a.port)
  const token = await oauthToken(a.url, ALICE)
  const clients = await Promise.all(VERSIONS.map((version) => authorizedClient(t, balancer.url, token, { version, reconnect: true })))
  t.equal(a.app.das.sessions.size, 2, 'both on A')
  const back = clients.map((client) => backAndAuthorized(client, token))
  balancer.target = b.port
  await moveOff(a, balancer)
  for (const client of clients) t.equal(await client.disconnected(), 'transport close', `v${client.version}`)
  for (const [i, reply] of (await Promise.all(back)).entries()) t.match(reply, { status: { code: 200 } }, `v${clients[i]!.version} authorized on B`)
  await emitsReach(t, clients, b.url, 'on B')
  t.equal(b.app.das.sessions.size, 2, 'both on B')
}

// A rolling restart: the balancer stops sending new connections to A, then A stops gracefully.
t.test('two nodes behind a switch: A stops, both client versions come back on B', (t) => clientsMoveToB(t, (a) => a.app.close()))

// What a client sees of a node that dies: its connections reset, and the balancer moves on.
t.test('two nodes behind a switch: A is lost, both client versions come back on B', (t) => clientsMoveToB(t, (_a, balancer) => balancer.cut()))

for (const version of VERSIONS) {
  t.test(`v${version} client: a revoked token's socket is disconnected and stays away`, async (t) => {
    const { url, app } = await startApp(t, dasOverrides())
    const token = await oauthToken(url, ALICE)
    // Quick retries: a client that would reconnect does so many times within the wait below.
    const client = await authorizedClient(t, url, token, { version, reconnect: { delay: 20 } })
    t.equal((await request(url, 'POST', '/oauth2/revoke_token/', { form: { token, client_id: 'das_web_client' } })).status, 200)
    t.equal(await client.disconnected(), 'io server disconnect', 'a DISCONNECT: socket.io clients do not reconnect')
    await t.rejects(client.reconnected(300), /not connected again/)
    t.equal(app.das.sessions.size, 0)
  })
}
