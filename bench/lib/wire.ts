// What a load-generator client says to each subject, from the exact wire formats of
// docs/protocols/ (§1.4 syscache, §2.4 WebRocket, §3.4 Telegraphy) and of the
// two baselines in bench/subjects/. Replies are recognised by substring: no JSON.parse.

export const CREDENTIALS = {
  user: 'bench',
  secret: 'bench-secret',
  password: 'bench-pass',
  apiKey: 'bench-api-key-0123456789',
  jwtSecret: 'bench-jwt-secret-0123456789abcdef',
} as const
export const CHANNEL = 'c'
export const EVENT = 'bench'

export type ServerKind = 'switchboard' | 'ws' | 'socketio'
export type SubjectName = 'webrocket' | 'webrocket-rules' | 'webrocket-nometrics' | 'telegraphy' | 'syscache' | 'ws' | 'socketio'
export const SUBJECTS: SubjectName[] = ['webrocket', 'webrocket-rules', 'webrocket-nometrics', 'telegraphy', 'syscache', 'ws', 'socketio']

/**
 * A Switchboard configured beyond the bench's plain config, to measure what a feature costs on
 * the same wire: `rules` = access rules that every subscribe and publish is checked against;
 * `no-metrics` = metrics.enabled false (the plain config has metrics on, the default).
 */
export type SwitchboardVariant = 'rules' | 'no-metrics'

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
  /** Connect, authenticate, subscribe. */
  subscribe: Step[]
  publisher: Publisher | null
  /** Keep-alives the client must answer even while it only counts frames (engine.io ping). */
  pong?: { ping: string, reply: string }
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
  // Baseline: the plain `ws` server of bench/subjects/ws-server.ts.
  ws: {
    server: 'ws',
    path: '/',
    subscribe: [plainAuth, step(JSON.stringify({ sub: CHANNEL }), '{"ok":"sub"}', '"error"')],
    publisher: { kind: 'ws', steps: [plainAuth], frame: (payload) => `{"pub":"${CHANNEL}","event":"e","data":${payload}}` },
  },
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
