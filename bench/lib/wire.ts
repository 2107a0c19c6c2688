// What a load-generator client says to each subject, from the exact wire formats of
// docs/protocols/ (§1.4 syscache, §2.4 WebRocket, §3.4 Telegraphy, §5 DAS) and of the
// baselines in bench/subjects/. Replies are recognised by substring: no JSON.parse.

export const CREDENTIALS = {
  user: 'bench',
  secret: 'bench-secret',
  password: 'bench-pass',
  apiKey: 'bench-api-key-0123456789',
  jwtSecret: 'bench-jwt-secret-0123456789abcdef',
} as const
export const CHANNEL = 'c'
export const EVENT = 'bench'

export type ServerKind = 'switchboard' | 'ws' | 'ws-prebuilt' | 'ws-fastify' | 'uws' | 'socketio'
export type SubjectName = 'webrocket' | 'webrocket-rules' | 'webrocket-nometrics' | 'telegraphy' | 'syscache' | 'das' | 'das-unacked' | 'ws' | 'ws-prebuilt' | 'ws-fastify' | 'uws' | 'socketio'
export const SUBJECTS: SubjectName[] = ['webrocket', 'webrocket-rules', 'webrocket-nometrics', 'telegraphy', 'syscache', 'das', 'das-unacked', 'ws', 'ws-prebuilt', 'ws-fastify', 'uws', 'socketio']

/**
 * A Switchboard configured beyond the bench's plain config, to measure what a feature costs on
 * the same wire: `rules` = access rules that every subscribe and publish is checked against;
 * `no-metrics` = metrics.enabled false (the plain config has metrics on, the default); `das` =
 * the DAS plugin switched on (off in the plain config, so the other subjects' figures do not
 * carry a Socket.IO server they do not use); `das-unacked` = the same with the trace sweep off
 * (`cleanupInterval: 0`), for clients that never acknowledge (what §5.5's acks cost, below).
 */
export type SwitchboardVariant = 'rules' | 'no-metrics' | 'das' | 'das-unacked'

/** One handshake step: send `send` (or nothing) and wait for a frame that `check` accepts. */
export interface Step {
  send: string | null
  /** true = step done, false = refused (the connection failed), null = not this step's reply. */
  check (text: string): boolean | null
}

export type Publisher =
  | { kind: 'ws', steps: Step[], frame (payload: string): string }
  | { kind: 'http', path: string, body (payload: string): string }

export interface Wire {
  server: ServerKind
  variant?: SwitchboardVariant
  path: string
  /** Connect, authenticate, subscribe; a function of the bearer token when `token` is set. */
  subscribe: Step[] | ((token: string) => Step[])
  /** A JSON POST answered with `{"access_token":…}`, made once per batch of connections. */
  token?: { path: string, body: string }
  publisher: Publisher | null
  /** Keep-alives the client must answer even while it only counts frames (engine.io ping). */
  pong?: { ping: string, reply: string }
  /**
   * Deliveries the client must acknowledge (DAS data events, §5.5: unacknowledged traces get the
   * socket dropped): the reply to send for a frame, or null for a frame that is not a delivery
   * (`connect_ack`). With `ack`, only frames it answers are counted.
   */
  ack? (frame: Buffer): string | null
  /** Deliveries are recognised (and counted) by `ack`, but no acknowledgement is sent. */
  withholdAcks?: boolean
}

/** The handshake steps of a wire, with the token when it needs one. */
export function subscribeSteps (wire: Wire, token: string | null): Step[] {
  if (typeof wire.subscribe !== 'function') return wire.subscribe
  if (token === null) throw new Error('this wire needs a token')
  return wire.subscribe(token)
}

const step = (send: string | null, ok: string, refused: string): Step => ({
  send,
  check: (text) => text.includes(ok) ? true : text.includes(refused) ? false : null,
})

const webrocketAuth = step(JSON.stringify({ authenticate: { user: CREDENTIALS.user, secret: CREDENTIALS.secret } }), '"authenticated"', '"err"')
const plainAuth = step(JSON.stringify({ auth: { user: CREDENTIALS.user, secret: CREDENTIALS.secret } }), '{"ok":"auth"}', '"error"')
const engineOpen: Step = { send: null, check: (text) => text.startsWith('0{') ? true : null }
const socketioConnect: Step = {
  send: '40' + JSON.stringify({ user: CREDENTIALS.user, secret: CREDENTIALS.secret }),
  check: (text) => text.startsWith('40') ? true : text.startsWith('44') ? false : null,
}

// §5: Socket.IO on namespace /das. A data event is `42/das,<ack id>["subject_update",{…,"trace_id":"…"}]`
// and is acknowledged with the trace_id (`43/das,<ack id>["trace-…"]`), as das-web-react does.
const DAS_EVENT = Buffer.from('42/das,')
const TRACE_KEY = Buffer.from('"trace_id":"')

export function dasAck (frame: Buffer): string | null {
  if (frame.length <= DAS_EVENT.length || frame.compare(DAS_EVENT, 0, DAS_EVENT.length, 0, DAS_EVENT.length) !== 0) return null
  let end = DAS_EVENT.length
  while (end < frame.length && frame[end] >= 0x30 && frame[end] <= 0x39) end++
  if (end === DAS_EVENT.length) return null // an event without an ack id (connect_ack)
  const at = frame.lastIndexOf(TRACE_KEY)
  if (at < 0) return null
  const start = at + TRACE_KEY.length
  const close = frame.indexOf(0x22, start)
  if (close < 0) return null
  return `43/das,${frame.toString('latin1', DAS_EVENT.length, end)}["${frame.toString('latin1', start, close)}"]`
}

const das: Wire = {
  server: 'switchboard',
  variant: 'das',
  path: '/socket.io/?EIO=4&transport=websocket',
  token: {
    path: '/oauth2/token',
    body: JSON.stringify({ grant_type: 'password', username: CREDENTIALS.user, password: CREDENTIALS.password, client_id: 'das_web_client' }),
  },
  subscribe: (token) => [
    { send: null, check: (text) => text.startsWith('0{') ? true : null },
    { send: '40/das,', check: (text) => text.startsWith('40/das,') ? true : text.startsWith('44/das,') ? false : null },
    {
      send: `42/das,${JSON.stringify(['authorization', { type: 'authorization', id: 1, authorization: `Bearer ${token}` }])}`,
      check: (text) => !text.includes('"resp_authorization"') ? null : text.includes('"code":200'),
    },
  ],
  // Every authenticated socket gets every subject update (none has a bbox).
  publisher: { kind: 'http', path: '/api/das/subject-updates', body: (payload) => `{"subject":${payload}}` },
  pong: { ping: '2', reply: '3' },
  ack: dasAck,
}

// §2.4: one-key JSON frames on the vhost path.
const webrocket: Wire = {
  server: 'switchboard',
  path: '/webrocket/bench',
  subscribe: [webrocketAuth, step(JSON.stringify({ subscribe: { channel: CHANNEL } }), '"subscribed"', '"err"')],
  publisher: {
    kind: 'ws',
    steps: [webrocketAuth],
    frame: (payload) => `{"broadcast":{"event":"e","channel":"${CHANNEL}","data":${payload}}}`,
  },
}

/** The wire of the plain baselines (ws-server.ts, uws-server.ts): auth, sub, pub. */
function plain (server: ServerKind): Wire {
  return {
    server,
    path: '/',
    subscribe: [plainAuth, step(JSON.stringify({ sub: CHANNEL }), '{"ok":"sub"}', '"error"')],
    publisher: { kind: 'ws', steps: [plainAuth], frame: (payload) => `{"pub":"${CHANNEL}","event":"e","data":${payload}}` },
  }
}

export const WIRES: Record<SubjectName, Wire> = {
  webrocket,
  // The same, with access rules in force (issue 16: authorization must not slow fan-out).
  'webrocket-rules': { ...webrocket, variant: 'rules' },
  // The same without metrics (issue 17: counting must not slow fan-out).
  'webrocket-nometrics': { ...webrocket, variant: 'no-metrics' },
  // §3.4: CONNECT with an empty auth token (requireAuth false), SUBSCRIBE; events through the hub's REST door.
  telegraphy: {
    server: 'switchboard',
    path: '/telegraphy',
    subscribe: [
      step(JSON.stringify({ message: 'CONNECT', id: 0, args: { auth_token: '' } }), '"CONNECTED"', '"success":false'),
      step(JSON.stringify({ message: 'SUBSCRIBE', id: 1, args: { event_name: EVENT } }), '"SUBSCRIBED"', '"success":false'),
    ],
    publisher: { kind: 'http', path: '/api/telegraphy/events', body: (payload) => `{"name":"${EVENT}","data":${payload}}` },
  },
  // §1.4: rpc/auth with a config user, then events/subscribe ["dispatcher"].
  syscache: {
    server: 'switchboard',
    path: '/syscache',
    subscribe: [
      step(JSON.stringify({ namespace: 'rpc', name: 'auth', id: 'a', args: { username: CREDENTIALS.user, password: CREDENTIALS.password } }), '"response"', '"error"'),
      step(JSON.stringify({ namespace: 'events', name: 'subscribe', id: 's', args: ['dispatcher'] }), '"subscribe":"dispatcher"', '"error"'),
    ],
    publisher: { kind: 'http', path: '/api/syscache/events/dispatcher', body: (payload) => payload },
  },
  das,
  // What the acknowledgements cost: the same deliveries to clients that never acknowledge them,
  // on a server whose sweep is off (else §5.5 drops them after traceTtl). Not a way to run DAS:
  // a reference beside `das`, so that the price of §5.5's acks comes from the same run.
  'das-unacked': { ...das, variant: 'das-unacked', withholdAcks: true },
  // Baseline: the plain `ws` server of bench/subjects/ws-server.ts.
  ws: plain('ws'),
  // The same wire; each publish writes one pre-built frame to every socket, corked per tick.
  'ws-prebuilt': plain('ws-prebuilt'),
  // The same server behind Fastify + @fastify/websocket (bench/subjects/ws-fastify-server.ts): a
  // connection-rate reference for what the design's HTTP stack costs, stated beside the targets.
  'ws-fastify': plain('ws-fastify'),
  // The same wire on uWebSockets.js and its native pub/sub (bench/subjects/uws-server.ts).
  uws: plain('uws'),
  // Baseline: socket.io 4 (bench/subjects/socketio-server.ts), spoken as raw engine.io v4 frames so
  // the generator does not pay for the socket.io-client decoder on every delivery.
  socketio: {
    server: 'socketio',
    path: '/socket.io/?EIO=4&transport=websocket',
    subscribe: [engineOpen, socketioConnect, { send: `420["subscribe","${CHANNEL}"]`, check: (text) => text.startsWith('430') ? true : null }],
    publisher: { kind: 'ws', steps: [engineOpen, socketioConnect], frame: (payload) => `42["publish",{"channel":"${CHANNEL}","event":"e","data":${payload}}]` },
    pong: { ping: '2', reply: '3' },
  },
}

// ---- payload: ~100 bytes of JSON carrying its send time ----

const TS_KEY = '"ts":'
const PAD = 'x'.repeat(67)

/** `{"ts":<ms since epoch, µs precision>,"pad":"xx…"}`, 100 bytes for a 17-character timestamp. */
export function payload (sentAt: number): string {
  return `{"ts":${sentAt.toFixed(3)},"pad":"${PAD}"}`
}

const TS_BYTES = Buffer.from(TS_KEY)

/** The send time inside a delivered frame, by byte search (sampled frames only); NaN if absent. */
export function extractSentAt (frame: Buffer): number {
  const at = frame.indexOf(TS_BYTES)
  if (at < 0) return NaN
  let end = at + TS_BYTES.length
  while (end < frame.length) {
    const c = frame[end]
    if ((c < 0x30 || c > 0x39) && c !== 0x2e) break
    end++
  }
  return Number(frame.toString('latin1', at + TS_BYTES.length, end))
}
