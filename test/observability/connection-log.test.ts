import t from 'tap'
import { request, startApp, type RunningApp } from '../helpers/app.js'
import { ADMIN, ALICE, type ConfigOverrides } from '../helpers/config.js'
import { LogLines, type LogLine } from '../helpers/log-lines.js'
import { QUIET_LOCAL } from '../helpers/quiet.js'
import type { WsClient } from '../helpers/ws-client.js'
import { dasOverrides, openClient } from '../plugins/das/das-client.js'
import { initialized } from '../plugins/really/helpers.js'
import { authed, connect, rpc } from '../plugins/syscache/helpers.js'
import { connected, telegraphyOverrides } from '../plugins/telegraphy/helpers.js'
import { client as webrocketClient, overrides as webrocketOverrides } from '../plugins/webrocket/fixture.js'

type TestLike = { teardown (fn: () => unknown): void }

// Every protocol's section merged: the helpers' shrunk timers and the WebRocket test vhosts.
function overrides (connections: 'info' | 'debug' | 'off', level = 'info'): ConfigOverrides {
  const protocols = {
    ...telegraphyOverrides().protocols,
    ...webrocketOverrides().protocols,
    ...(dasOverrides().protocols as object),
    syscache: { idleTimeout: 0, authWindow: 0, maxAuthFailures: 100_000 },
  }
  return { log: { level, connections }, protocols } as ConfigOverrides
}

async function logged (t: TestLike, connections: 'info' | 'debug' | 'off', level = 'info'): Promise<{ app: RunningApp, log: LogLines }> {
  const log = new LogLines()
  const app = await startApp(t, overrides(connections, level), { logStream: log.stream })
  return { app, log }
}

/** One authenticated connection of a protocol: how many frames its client sent, and its close. */
interface Session {
  user: string
  sent: number
  /** Frames the client received, counted once the socket closed. */
  received (): number
  close (): Promise<void>
}

// A WebSocket client closes with 1000 'done'; every frame it got was consumed or is still queued.
function wsSession (client: WsClient, user: string, sent: number, consumed: number): Session {
  return {
    user,
    sent,
    received: () => consumed + client.frames.length,
    close: async () => {
      client.ws.close(1000, 'done')
      await client.closed()
    },
  }
}

const sessions: Record<string, (t: TestLike, app: RunningApp) => Promise<Session>> = {
  async syscache (t, app) {
    const { client } = await authed(t, app, ADMIN)
    await client.request(rpc('ping', {}, 'p'))
    return wsSession(client, ADMIN.username, 2, 2)
  },
  async webrocket (_t, app) {
    const client = await webrocketClient(app.wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
    await client.request({ subscribe: { channel: 'news' } })
    return wsSession(client, 'back', 2, 2)
  },
  async telegraphy (_t, app) {
    const { client } = await connected(app.url, app.wsUrl, { user: ALICE })
    return wsSession(client, ALICE.username, 1, 1)
  },
  async really (t, app) {
    const { body } = await request(app.url, 'POST', '/auth/password/login/', { body: ALICE })
    const client = await initialized(t, app, body.accessToken as string)
    return wsSession(client, ALICE.username, 1, 1)
  },
  async das (t, app) {
    const { body } = await request(app.url, 'POST', '/api/auth/login', { body: ALICE })
    const client = await openClient(t, app.url)
    const reply = await client.authorize(body.access_token as string)
    if (reply.status.code !== 200) throw new Error(`authorization: ${JSON.stringify(reply)}`)
    await client.next('connect_ack')
    // Socket.IO messages after the namespace handshake: in, the authorization and the client's
    // disconnect packet; out, resp_authorization and connect_ack.
    return { user: ALICE.username, sent: 2, received: () => 2, close: async () => client.close() }
  },
}

const about = (msg: string, protocol: string) => (line: LogLine) => line.msg === msg && line.protocol === protocol

for (const [protocol, start] of Object.entries(sessions)) {
  t.test(`${protocol}: one line when a connection opens, authenticates and closes, each naming the connection`, async (t) => {
    const { app, log } = await logged(t, 'info')
    const session = await start(t, app)
    const opened = await log.find(about('connection opened', protocol))
    t.match(opened, { level: 30, connection: String, address: '127.0.0.1' }, 'opened: id and address')
    t.ok('userAgent' in opened, 'opened: the user agent (null: the test clients send none)')
    const id = opened.connection as string
    t.ok(id.length > 0)
    const authenticated = await log.find(about('connection authenticated', protocol))
    t.match(authenticated, { level: 30, connection: id, user: session.user, anonymous: false })
    await session.close()
    const closed = await log.find(about('connection closed', protocol))
    t.match(closed, { level: 30, connection: id, framesIn: session.sent, framesOut: session.received() })
    t.type(closed.durationMs, 'number')
    t.ok(closed.durationMs >= 0 && closed.durationMs < 60_000, `duration ${closed.durationMs} ms`)
    t.ok(closed.bytesIn > 0 && closed.bytesOut > 0, 'bytes in and out')
    if (protocol === 'das') {
      t.match(closed, { code: null, reason: 'client namespace disconnect' }, 'Socket.IO has no close codes: its reason')
    } else {
      t.match(closed, { code: 1000, reason: 'done' })
    }
    t.equal(log.matching((line) => line.connection === id && /^connection /.test(line.msg as string)).length, 3, 'one line per event')
  })
}

t.test('a server-side close is logged with its code and reason', async (t) => {
  const { app, log } = await logged(t, 'info')
  const client = await webrocketClient(app.wsUrl, '/webrocket/echo')
  const id = (await log.find(about('connection opened', 'webrocket'))).connection as string
  client.send({ disconnect: {} })
  await client.closed()
  const closed = await log.find(about('connection closed', 'webrocket'))
  t.match(closed, { connection: id, framesIn: 1 })
  t.type(closed.code, 'number')
  t.equal(log.matching(about('connection authenticated', 'webrocket')).length, 0, 'never authenticated: no such line')
})

t.test('the opened line carries the client\'s User-Agent', async (t) => {
  const { app, log } = await logged(t, 'info')
  await connect(t, app, { headers: { 'user-agent': 'probe/1.0 (ws)' } })
  t.match(await log.find(about('connection opened', 'syscache')), { userAgent: 'probe/1.0 (ws)' })
  await openClient(t, app.url, { extraHeaders: { 'user-agent': 'probe/1.0 (socket.io)' } })
  t.match(await log.find(about('connection opened', 'das')), { userAgent: 'probe/1.0 (socket.io)' })
})

t.test('an anonymous Really connection is logged as anonymous', async (t) => {
  const { app, log } = await logged(t, 'info')
  await initialized(t, app)
  t.match(await log.find(about('connection authenticated', 'really')), { user: null, anonymous: true })
})

t.test('log.connections: debug writes the lines at debug, which log.level info hides', async (t) => {
  const shown = await logged(t, 'debug', 'debug')
  const a = await sessions.syscache(t, shown.app)
  await a.close()
  const lines = await Promise.all(['connection opened', 'connection authenticated', 'connection closed'].map((msg) => shown.log.find(about(msg, 'syscache'))))
  t.same(lines.map((line) => line.level), [20, 20, 20], 'at debug (20)')

  const hidden = await logged(t, 'debug', 'info')
  const b = await sessions.syscache(t, hidden.app)
  await b.close()
  // The request log of the next request comes after the close: a line the close would have written is there by then.
  await request(hidden.app.url, 'GET', '/health')
  await hidden.log.find((line) => line.msg === 'request completed')
  await new Promise((resolve) => setTimeout(resolve, QUIET_LOCAL))
  t.same(hidden.log.matching((line) => /^connection /.test(line.msg as string)), [], 'none at info')
})

t.test('log.connections: off writes no connection line', async (t) => {
  const { app, log } = await logged(t, 'off', 'debug')
  const session = await sessions.syscache(t, app)
  await session.close()
  await request(app.url, 'GET', '/health')
  await log.find((line) => line.msg === 'request completed')
  await new Promise((resolve) => setTimeout(resolve, QUIET_LOCAL))
  t.same(log.matching((line) => /^connection /.test(line.msg as string)), [])
  t.ok(log.lines.length > 0, 'other lines were logged')
})
