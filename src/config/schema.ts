import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox'
import { ACCESS_ACTIONS, ACCESS_PROTOCOLS, ROLE_PATTERN, SUBJECT_PATTERN, SUBJECTS_EXPECTED } from '../core/access/vocabulary.js'
import { durationPattern, sizePattern } from './units.js'

// Durations and sizes accept a number or a string with a unit in the file; the loader turns
// them into numbers (ms / bytes), so their static type is already `number` for the code.
const Duration = (defaultValue: string) => Type.Union(
  [Type.Integer({ minimum: 0 }), Type.String({ pattern: durationPattern })],
  { default: defaultValue, 'x-unit': 'duration' },
) as unknown as TUnsafe<number>
const Size = (defaultValue: string) => Type.Union(
  [Type.Integer({ minimum: 1 }), Type.String({ pattern: sizePattern })],
  { default: defaultValue, 'x-unit': 'size' },
) as unknown as TUnsafe<number>
const Section = <T extends Record<string, TSchema>>(properties: T) =>
  Type.Object(properties, { additionalProperties: false, default: {} })

// scrypt needs its N to be a power of two: listed, so a wrong value fails at start-up with a reason.
const PowerOfTwo = (min: number, max: number, defaultValue: number) => Type.Union(
  Array.from({ length: Math.log2(max / min) + 1 }, (_, i) => Type.Literal(min * 2 ** i)),
  { default: defaultValue, 'x-expected': `a power of two from ${min} to ${max}` },
) as unknown as TUnsafe<number>

const Path = (defaultValue: string) => Type.String({ pattern: '^(/[^/?#]*)*$', default: defaultValue, 'x-expected': 'a path starting with / (no ? or #)' })
const HttpUrl = Type.Union([Type.String({ pattern: '^https?://' }), Type.Null()], { default: null, 'x-expected': 'an http:// or https:// URL, or null' })

export const Permission = Type.Union([Type.Literal('READ'), Type.Literal('WRITE'), Type.Literal('MANAGE')])

// An origin exactly as a browser sends it in `Origin`: scheme://host[:port], no path, no
// trailing slash (`https://app.example.com/` would never match, so it is refused at start-up).
const Origin = Type.String({ pattern: '^[a-z][a-z0-9+.-]*://[^/?#\\s]+$' })
const AnyOrigin = Type.Literal('*')
const ORIGINS_EXPECTED = '"*" or a list of origins such as https://app.example.com (scheme://host[:port], no path, no trailing slash)'

export const CorsSection = Section({
  // Web apps on these origins may call the REST routes and open Socket.IO long-polling:
  // `[]` = no CORS headers at all, `"*"` = any origin (reflected, without credentials on REST).
  origins: Type.Union([AnyOrigin, Type.Array(Origin)], { default: [], 'x-expected': ORIGINS_EXPECTED }),
  // How long a browser may cache a preflight answer (Access-Control-Max-Age).
  maxAge: Duration('10m'),
})

export const ServerSection = Section({
  host: Type.String({ default: '0.0.0.0' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  cors: CorsSection,
  // Origins whose pages may open WebSocket / Socket.IO connections. In the file: `"*"` (any), a
  // list, or unset / `[]` = the same as `cors.origins`. Resolved by the loader
  // (src/config/origins.ts) to a list where `[]` means any origin, hence the static type.
  allowedOrigins: Type.Union([AnyOrigin, Type.Array(Origin), Type.Null()], { default: null, 'x-expected': ORIGINS_EXPECTED }) as unknown as TUnsafe<string[]>,
  // Client addresses come from X-Forwarded-For only from these proxies (true = any; false =
  // none). Addresses matter: syscache local login and Telegraphy RECONNECT check them.
  trustProxy: Type.Union([Type.Boolean(), Type.String()], { default: false, 'x-expected': 'true, false, or the proxies\' addresses (comma-separated)' }),
  maxPayload: Size('64kb'),
  sendBufferLimit: Size('1mb'),
  shutdownGrace: Duration('10s'),
  // WebSocket and Socket.IO connections one client address may hold on this node, all protocols
  // together; past it upgrades are refused (429; Socket.IO: 403). 0 = no limit.
  maxConnectionsPerAddress: Type.Integer({ minimum: 0, default: 1000 }),
  // How long a socket closed for policy reasons may take to finish its close handshake
  // before it is destroyed (a consumer that stopped reading never finishes it).
  closeTimeout: Duration('2s'),
  // Fan-out admission control (README "Operation"): once this node's sockets hold this many
  // bytes their clients have not read, publishers wait (0 = never) until it is back under half,
  // measured every backlogRecheck, or for backlogMaxWait at most.
  backlogLimit: Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: sizePattern })], { default: '32mb', 'x-unit': 'size' }) as unknown as TUnsafe<number>,
  backlogRecheck: Duration('20ms'),
  backlogMaxWait: Duration('5s'),
})

export const StorageSection = Section({
  dataDir: Type.String({ default: './data' }),
  // null: an SQLite file in dataDir. `sqlite::memory:`, `sqlite:PATH` or `postgres://…`.
  database: Type.Union([Type.String({ pattern: '^(sqlite:|postgres(ql)?://)' }), Type.Null()], { default: null, 'x-expected': 'sqlite::memory:, sqlite:PATH, postgres://… (or postgresql://…), or null for an SQLite file in dataDir' }),
  redis: Type.Union([Type.String({ pattern: '^rediss?://' }), Type.Null()], { default: null, 'x-expected': 'redis://… or rediss://…, or null' }),
  // Every Redis key and channel starts with this, so several deployments (or test runs) can share a server.
  redisPrefix: Type.String({ default: 'switchboard:' }),
})

export const AuthSection = Section({
  jwtSecret: Type.Union([Type.String({ minLength: 16 }), Type.Null()], { default: null, 'x-expected': 'a secret of at least 16 characters (production: 32 bytes), or null' }),
  accessTokenTtl: Duration('1h'),
  refreshTokenTtl: Duration('30d'),
  apiKeys: Type.Array(Type.String({ minLength: 8 }), { default: [] }),
  oauthClients: Type.Array(Type.String({ minLength: 1 }), { default: ['das_web_client'] }),
  // Every credential check, REST and in-socket, on every node (src/core/throttle): failed checks
  // per account (from any address) and per client address within `window`; past either budget
  // an attempt is refused unchecked until the window ends. 0 turns a budget off.
  throttle: Section({
    window: Duration('1m'),
    maxFailuresPerAccount: Type.Integer({ minimum: 0, default: 10 }),
    maxFailuresPerAddress: Type.Integer({ minimum: 0, default: 30 }),
    // Requests (successful or not) per address per window on the public credential routes
    // (login, refresh, token issue; @fastify/rate-limit), whatever their outcome.
    maxRequestsPerAddress: Type.Integer({ minimum: 0, default: 120 }),
  }),
  // scrypt checks per process: `concurrency` at once, `queue` more waiting; past that a check
  // is refused at once as busy (REST 503 + Retry-After) instead of making everyone wait.
  // `cost` is scrypt's N for new password hashes (128 × N × 8 bytes of memory each); stored
  // hashes keep verifying with the N they were made with. Tests set it low.
  passwordHashing: Section({
    concurrency: Type.Integer({ minimum: 1, default: 2 }),
    queue: Type.Integer({ minimum: 0, default: 16 }),
    cost: PowerOfTwo(2, 2 ** 20, 16384),
  }),
})

export const UserEntry = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.@-]+$' }),
  password: Type.String({ minLength: 1 }),
  email: Type.Union([Type.String(), Type.Null()], { default: null }),
  admin: Type.Boolean({ default: false }),
  // For the access rules (`role:<name>`); `admin: true` gives `role:admin`.
  // Optional in the static type only (the loader fills `[]`), so code listing users need not name it.
  roles: Type.Optional(Type.Array(Type.String({ pattern: ROLE_PATTERN }), { default: [], maxItems: 64 })),
}, { additionalProperties: false })

export const SyscacheSection = Section({
  enabled: Type.Boolean({ default: true }),
  path: Path('/syscache'),
  tokenLifetime: Duration('5m'),
  idleTimeout: Duration('10m'),
  authWindow: Duration('30s'),
  allowLocalWithoutPassword: Type.Boolean({ default: false }),
  eventFormat: Type.Union([Type.Literal('legacy'), Type.Literal('typed')], { default: 'legacy' }),
  backendUrl: HttpUrl,
  // Classes ("namespace/name") or actions ("namespace/name/action") only full-access (admin) users may call.
  fullAccessOnly: Type.Array(Type.String({ pattern: '^[^/]+/[^/]+(/[^/]+)?$' }), { default: ['rpc/dispatcher'] }),
  // Black-list (spec §1.6, §1.9 #10): this many failed auth/auth_token from one address within
  // authFailureWindow block it for blockDuration (403, then close 1008), on every node. 0 = off.
  maxAuthFailures: Type.Integer({ minimum: 0, default: 5 }),
  authFailureWindow: Duration('10m'),
  blockDuration: Duration('1h'),
  // Frames queued plus backend calls in flight one connection may have; the request past it
  // closes the connection (1008, "too many pending requests").
  maxPendingRequests: Type.Integer({ minimum: 1, default: 64 }),
})

export const WebrocketUser = Type.Object({
  name: Type.String({ minLength: 1 }),
  secret: Type.String({ default: '' }),
  permissions: Type.Array(Permission, { default: ['READ'] }),
}, { additionalProperties: false })

export const WebrocketSection = Section({
  enabled: Type.Boolean({ default: true }),
  prefix: Path('/webrocket'),
  // Close (1008) a socket that has not authenticated within this; 0 = never (spec §2.6: no timers).
  authWindow: Duration('0'),
  triggerUrl: HttpUrl,
  // The permission a `subscribe` needs to create a channel that does not exist yet: READ as in
  // the seed (spec §2.4), or MANAGE, which the seed reserved for channel management (§2.2).
  createChannels: Type.Union([Type.Literal('READ'), Type.Literal('MANAGE')], { default: 'READ' }),
  // Keyed by the vhost's path: `/echo` is reached at `<prefix>/echo`. A key without its leading
  // slash would never be reachable, so it is refused (additionalProperties: false).
  vhosts: Type.Record(Type.String({ pattern: '^/[^/?#]+$' }), Type.Object({
    users: Type.Array(WebrocketUser, { default: [] }),
  }, { additionalProperties: false }), {
    additionalProperties: false,
    'x-expected': 'vhosts named by their path with its leading slash, such as /echo (no other /, ? or #)',
    default: { '/echo': { users: [{ name: 'joe', secret: 's3cret', permissions: ['READ', 'WRITE'] }] } },
  }),
})

export const TelegraphySection = Section({
  enabled: Type.Boolean({ default: true }),
  path: Path('/telegraphy'),
  requireAuth: Type.Boolean({ default: true }),
  authTokenTtl: Duration('5s'),
  connectTimeout: Duration('10s'),
  reconnectWindow: Duration('3s'),
  // How long a RECONNECT waits for the node that held the dropped session to hand over the
  // events it kept for it (plugins/telegraphy/README.md "Reconnect hand-over").
  handoverTimeout: Duration('1s'),
  // How often a node writes its heartbeat to the shared store; a node that stops beating for
  // three heartbeats is dead, and its connected sessions can be resumed elsewhere (§3.4).
  nodeHeartbeat: Duration('1s'),
  events: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  sendUnregistered: Type.Boolean({ default: true }),
})

export const ReallyField = Type.Object({
  type: Type.Union([Type.Literal('string'), Type.Literal('long'), Type.Literal('double'), Type.Literal('boolean')]),
  required: Type.Optional(Type.Boolean()),
  default: Type.Optional(Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
}, { additionalProperties: false })

const REALLY_NAME = '[A-Za-z_$][A-Za-z0-9_$-]*'
const REALLY_COLLECTION = `^/${REALLY_NAME}(/\\*/${REALLY_NAME})*(/|/\\*/?)?$`

export const ReallySection = Section({
  enabled: Type.Boolean({ default: true }),
  prefix: Type.String({ pattern: '^(/[^/?#]+)*$', default: '' }),
  versions: Type.Array(Type.String({ minLength: 1 }), { default: ['v0.1'] }),
  idleTimeout: Duration('120s'),
  // Kick (1008) a socket that has not initialized within this, however busy; 0 = never
  // (plugins/really/README.md "Decisions").
  authWindow: Duration('30s'),
  anonymousTokenTtl: Duration('1d'),
  passwordTokenTtl: Duration('7d'),
  requestTimeout: Duration('60s'),
  // Requests one connection may have queued (they are handled one at a time, in order); the
  // request past it closes the connection (1008, "too many pending requests").
  maxPendingRequests: Type.Integer({ minimum: 1, default: 256 }),
  // Changes kept per object for subscriptions that resume from an older `rev` (older ones get a snapshot).
  changeLogSize: Type.Integer({ minimum: 0, default: 100 }),
  // Keyed by a collection R (spec §4.3): `/users/`, nested `/users/*/posts/`; anything else
  // (an object R such as `/users/1/`) is refused here, so `config check` refuses it too.
  models: Type.Record(Type.String({ pattern: REALLY_COLLECTION }), Type.Object({
    fields: Type.Record(Type.String({ minLength: 1 }), ReallyField, { default: {} }),
  }, { additionalProperties: false }), {
    // One collection so that a newcomer's first `create` works (issue 19); a config that lists
    // its own models replaces it.
    default: { '/messages/': { fields: { text: { type: 'string', required: true } } } },
    additionalProperties: false,
    'x-expected': 'models keyed by a collection R such as /users/ or /users/*/posts/',
  }),
})

export const DasSection = Section({
  enabled: Type.Boolean({ default: true }),
  path: Path('/socket.io'),
  namespace: Type.String({ pattern: '^/', default: '/das' }),
  authWindow: Duration('1s'),
  connectAckDelay: Duration('1s'),
  traceTtl: Duration('60s'),
  cleanupInterval: Duration('30s'),
  allowEIO3: Type.Boolean({ default: true }),
})

// Input limits, one policy for every protocol and REST route (issue 14; README "Security").
export const LimitsSection = Section({
  // Deepest JSON nesting a client frame or request body may have; checked on the text before
  // anything parses or walks it.
  maxDepth: Type.Integer({ minimum: 1, maximum: 10_000, default: 64 }),
  // Topics one connection may be subscribed to at once (channels, events, objects, types).
  subscriptionsPerConnection: Type.Integer({ minimum: 1, default: 1000 }),
  // Filters one Telegraphy subscription may carry.
  filtersPerSubscription: Type.Integer({ minimum: 1, default: 100 }),
  // Channels that clients may create in one WebRocket vhost (admin-created ones do not count).
  channelsPerVhost: Type.Integer({ minimum: 1, default: 10_000 }),
  // Largest `data` an anonymous Really token may carry (it is signed into every request's token).
  anonymousDataSize: Size('4kb'),
})

const Allowance = Type.Union([Type.Literal('allow'), Type.Literal('deny')], { default: 'allow', 'x-expected': 'allow or deny' })
const PROTOCOLS_EXPECTED = `one of ${ACCESS_PROTOCOLS.join(', ')}`

export const AccessRule = Type.Object({
  protocol: Type.Union(ACCESS_PROTOCOLS.map((p) => Type.Literal(p)), { 'x-expected': PROTOCOLS_EXPECTED }),
  // A glob over the protocol's resource names: `*` within a segment, `**` across segments.
  resource: Type.String({ minLength: 1, maxLength: 1024 }),
  actions: Type.Array(Type.Union(ACCESS_ACTIONS.map((a) => Type.Literal(a)), { 'x-expected': `one of ${ACCESS_ACTIONS.join(', ')}` }), { minItems: 1 }),
  // Who the rule allows; everyone else is denied (`[]` denies everyone).
  allow: Type.Array(Type.String({ pattern: SUBJECT_PATTERN, 'x-expected': SUBJECTS_EXPECTED })),
}, { additionalProperties: false })

// Who may do what on which resource, every protocol (issue 16; README "Authorization").
// Checked beyond the schema by src/config/access-check.ts (actions and subjects per protocol).
export const AccessSection = Section({
  // What an attempt no rule matches gets when no authorize hook is configured.
  defaults: Section(Object.fromEntries(ACCESS_PROTOCOLS.map((p) => [p, Allowance])) as Record<typeof ACCESS_PROTOCOLS[number], typeof Allowance>),
  // First match wins.
  rules: Type.Array(AccessRule, { default: [] }),
  // Asked (signed POST) what no rule matched, instead of the defaults; a timeout or error denies.
  authorizeUrl: HttpUrl,
  // How long the hook's answers are reused.
  cacheTtl: Duration('5s'),
  // Upper bound on one question to the hook.
  timeout: Duration('2s'),
})

export const MetricsSection = Section({
  // GET <path> in Prometheus text format (README "Observability"); false: no route (404).
  enabled: Type.Boolean({ default: true }),
  path: Type.String({ pattern: '^(/[^/?#]+)+$', default: '/metrics' }),
  // When set, a scrape must present it (Authorization: Bearer <key>, or X-API-Key); else 401.
  apiKey: Type.Union([Type.String({ minLength: 8 }), Type.Null()], { default: null }),
})

// Presence (issue 20; README "Presence"): who is subscribed where, on every node. The heartbeat
// also keeps this node among the live nodes the connections API asks.
export const PresenceSection = Section({
  // false: nothing recorded, the presence routes answer 404.
  enabled: Type.Boolean({ default: true }),
  // A node's entries (and its place among the live nodes) last this long without a heartbeat.
  ttl: Duration('15s'),
  // How often a node refreshes them; keep it well under ttl.
  heartbeat: Duration('5s'),
})

// Lifecycle webhooks (README "Webhooks"): connection events POSTed in batches to `url`.
export const WebhooksSection = Section({
  // null: no webhooks (nothing is queued or observed).
  url: HttpUrl,
  // Signs every batch like a backend call; null: backend.secret signs them (unsigned when both are null).
  secret: Type.Union([Type.String({ minLength: 32 }), Type.Null()], { default: null, 'x-expected': 'a secret of at least 32 characters, or null' }),
  // Events per POST at most; a full batch leaves at once, a partial one after `flushInterval`.
  batchSize: Type.Integer({ minimum: 1, default: 100 }),
  flushInterval: Duration('1s'),
  // Events waiting at most; past it the oldest are dropped (and counted).
  queueLimit: Type.Integer({ minimum: 1, default: 10000 }),
  // Upper bound on one POST.
  timeout: Duration('5s'),
  // Tries per batch (the first included), waiting minDelay × 2^(n-1), at most maxDelay, half of it jittered.
  retry: Section({
    attempts: Type.Integer({ minimum: 1, default: 5 }),
    minDelay: Duration('1s'),
    maxDelay: Duration('30s'),
  }),
})

// The browser console at GET /console (README "Browser console"); false: no route (404).
export const ConsoleSection = Section({
  enabled: Type.Boolean({ default: true }),
})

export const ConfigSchema = Type.Object({
  server: ServerSection,
  limits: LimitsSection,
  storage: StorageSection,
  auth: AuthSection,
  log: Section({
    level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
    // One line per connection opened, authenticated and closed, at this level (off: none).
    connections: Type.Union([Type.Literal('info'), Type.Literal('debug'), Type.Literal('off')], { default: 'info' }),
  }),
  backend: Section({
    // Upper bound on one call to a protocol backend (syscache classes, WebRocket triggers).
    timeout: Duration('10s'),
    // Signs every call to a backend and to the authorize hook (X-Switchboard-Signature: hex
    // HMAC-SHA256 of `${timestamp}.${body}`); null: calls go unsigned.
    secret: Type.Union([Type.String({ minLength: 32 }), Type.Null()], { default: null, 'x-expected': 'a secret of at least 32 characters, or null' }),
  }),
  users: Type.Array(UserEntry, { default: [{ username: 'admin', password: 'change-me', email: null, admin: true }] }),
  protocols: Section({
    syscache: SyscacheSection,
    webrocket: WebrocketSection,
    telegraphy: TelegraphySection,
    really: ReallySection,
    das: DasSection,
  }),
  access: AccessSection,
  metrics: MetricsSection,
  presence: PresenceSection,
  connections: Section({
    // How long the connections API waits for the other nodes' answers; the late ones are reported missing.
    timeout: Duration('2s'),
  }),
  webhooks: WebhooksSection,
  console: ConsoleSection,
}, { additionalProperties: false })

export type Config = Static<typeof ConfigSchema>
export type ServerConfig = Config['server']
export type LimitsConfig = Config['limits']
export type SyscacheConfig = Config['protocols']['syscache']
export type WebrocketConfig = Config['protocols']['webrocket']
export type TelegraphyConfig = Config['protocols']['telegraphy']
export type ReallyConfig = Config['protocols']['really']
export type DasConfig = Config['protocols']['das']
export type AccessConfig = Config['access']
export type MetricsConfig = Config['metrics']
export type PresenceConfig = Config['presence']
export type WebhooksConfig = Config['webhooks']
