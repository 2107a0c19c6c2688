import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_USERS, InsecureDefaults, insecureSettings, productionCautions, type InsecureSetting } from '../config/insecure-defaults.js'
import type { Config } from '../config/schema.js'
import { AuthorizeHook } from './access/authorize-hook.js'
import { Authorizer } from './access/authorizer.js'
import { RoleDirectory } from './access/role-directory.js'
import { createBackend, type Backend, type BackendCallListener } from './backend/backend.js'
import { DependencyHealth } from './dependency-health.js'
import { StartupFailure, withoutPassword } from './errors.js'
import { ConnectionRegistry } from './connection-registry.js'
import { ConnectionTopics } from './hub/connection-topics.js'
import { openDatabase, type Database } from './db/database.js'
import type { Broker } from './hub/broker.js'
import { Hub } from './hub/hub.js'
import { MemoryBroker } from './hub/memory-broker.js'
import { RedisBroker } from './hub/redis-broker.js'
import { Revocations } from './revocation/revocations.js'
import { Identity } from './identity/identity.js'
import { configurePasswordHashing } from './identity/passwords.js'
import { MemoryStore } from './state/memory-store.js'
import { RedisStore } from './state/redis-store.js'
import type { EphemeralStore } from './state/store.js'
import type { CounterStore } from './throttle/counter-store.js'
import { CredentialThrottle } from './throttle/credential-throttle.js'
import { MemoryCounterStore } from './throttle/memory-counter-store.js'
import { RedisCounterStore } from './throttle/redis-counter-store.js'
import { Tokens } from './tokens/tokens.js'
import { ConnectionDirectory } from './cluster/connection-directory.js'
import { randomId } from './ids.js'
import { MemoryPresenceStore } from './presence/memory-presence-store.js'
import type { PresenceStore } from './presence/presence-store.js'
import { PresenceTracker } from './presence/presence-tracker.js'
import { RedisPresenceStore } from './presence/redis-presence-store.js'
import { Webhooks } from './webhooks/webhooks.js'
import { outboundPressureOf } from './limits/node-backlog.js'
import type { OutboundPressure } from './limits/outbound-pressure.js'

/** The little of a logger the core needs (pino fits). */
export interface CoreLogger {
  info (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
  error (obj: object, msg?: string): void
}

/**
 * What `register` hands a protocol plugin: the shared services and the plugin's own section of
 * the config (`protocols.<name>`), so that a plugin never reads another protocol's settings.
 */
export interface PluginOptions<C> {
  services: Services
  config: C
}

/** Everything protocol-neutral that the HTTP layer and the plugins are given. */
export interface Services {
  readonly config: Config
  readonly database: Database
  readonly store: EphemeralStore
  readonly hub: Hub
  readonly identity: Identity
  readonly tokens: Tokens
  /** This node's connections: counts, listing, users' connections, revocation policies. */
  readonly connections: ConnectionRegistry
  /** Each connection's hub topics: join/leave through here, so a closed connection leaves them all. */
  readonly subscriptions: ConnectionTopics
  /** Revoking a user or a token on every node, connections included. */
  readonly revocations: Revocations
  /** Who may do what (issue 16): every protocol asks it once per action. */
  readonly access: Authorizer
  /** Presence (issue 20): the store of every node's subscriptions and live nodes, fed by the tracker when enabled. */
  readonly presence: { readonly enabled: boolean, readonly store: PresenceStore, readonly tracker: PresenceTracker }
  /** Every node's connections, listed and closed across the cluster (the connections API). */
  readonly clusterConnections: ConnectionDirectory
  /** Throttle counters, shared by every node when Redis is configured (REST rate limits use them too). */
  readonly counters: CounterStore
  /** The policy every credential check goes through (auth.throttle). */
  readonly throttle: CredentialThrottle
  /** Built-in defaults found at start-up: plugins add theirs; production refuses, elsewhere one warning. */
  readonly insecureDefaults: InsecureDefaults
  /** True once startup is done and until shutdown begins. */
  accepting: boolean
  backend (url: string | null): Backend
  /** Told of every backend call of every protocol (the metrics set it); null: nothing measured. */
  onBackendCall: BackendCallListener | null
  /** Each dependency (database, store, broker) and whether it answers now. */
  dependencies (): Promise<Record<string, boolean>>
  /** Redis and the database as their clients report them: one line per outage, not per failure. */
  readonly health: { readonly redis: DependencyHealth, readonly database: DependencyHealth }
  /** Dependencies that are down (empty when all answer). */
  unavailable (): Promise<string[]>
  /** Lifecycle webhooks (webhooks.url), observing every connection; null when not configured. */
  readonly webhooks: Webhooks | null
  /** The fan-out's admission control (server.backlogLimit): publishers wait while it is congested. */
  readonly outbound: OutboundPressure
  close (): Promise<void>
}

export function databaseUrl (config: Config): string {
  return config.storage.database ?? `sqlite:${join(config.storage.dataDir, 'switchboard.db')}`
}

/** Secret for JWTs: the configured one, or a random one (production refused to start without one). */
export function jwtSecret (config: Config): string {
  return config.auth.jwtSecret ?? randomBytes(32).toString('base64url')
}

/** Default accounts the config does not list but the database still holds, with their default password. */
async function defaultUsersInDatabase (config: Config, identity: Identity): Promise<InsecureSetting[]> {
  const found: InsecureSetting[] = []
  for (const { username, password } of DEFAULT_USERS) {
    // Listed users were checked with the config; a missing user costs no password check.
    if (config.users.some((u) => u.username === username) || !(await identity.find(username))) continue
    if (await identity.verify(username, password)) found.push({ path: '/users', reason: `user ${username} in the database still has its built-in default password` })
  }
  return found
}

/** The node's name in webhook events: its host and process, so two nodes on one host differ. */
export const nodeName = (): string => `${hostname()}:${process.pid}`

function createWebhooks (config: Config, log: CoreLogger): Webhooks | null {
  const { url, secret, batchSize, flushInterval, queueLimit, timeout, retry } = config.webhooks
  if (url === null) return null
  return new Webhooks({
    url,
    // A receiver of its own may have its own secret; the backend's otherwise, as for every call out.
    secret: secret ?? config.backend.secret,
    node: nodeName(),
    batchSize,
    flushIntervalMs: flushInterval,
    queueLimit,
    timeoutMs: timeout,
    retry: { attempts: retry.attempts, minDelayMs: retry.minDelay, maxDelayMs: retry.maxDelay },
    log,
    onError: (err) => log.error({ err }, 'webhook delivery failed'),
  })
}

export interface ServicesOptions {
  /** Refuse built-in defaults instead of warning about them (default: NODE_ENV=production). */
  production?: boolean
}

export async function createServices (config: Config, log: CoreLogger, { production = process.env.NODE_ENV === 'production' }: ServicesOptions = {}): Promise<Services> {
  // First, before anything is written anywhere: production stops here on the config's defaults.
  const insecureDefaults = new InsecureDefaults(production)
  insecureDefaults.add(insecureSettings(config))
  insecureDefaults.caution(productionCautions(config))
  const secret = jwtSecret(config)
  const health = { redis: new DependencyHealth('redis', log), database: new DependencyHealth('database', log) }
  const onRedisError = (err: Error) => health.redis.report(err, 'redis')
  const redis = config.storage.redis
  const store: EphemeralStore = redis
    ? new RedisStore({ url: redis, prefix: config.storage.redisPrefix, onError: onRedisError, health: health.redis })
    : new MemoryStore()
  const broker: Broker = redis
    ? new RedisBroker({ url: redis, prefix: `${config.storage.redisPrefix}hub:`, onError: onRedisError, health: health.redis })
    : new MemoryBroker()
  const counters: CounterStore = redis
    ? new RedisCounterStore({ url: redis, prefix: `${config.storage.redisPrefix}throttle:`, onError: onRedisError, health: health.redis })
    : new MemoryCounterStore()
  let database: Database
  try {
    database = await openDatabase(databaseUrl(config), health.database)
  } catch (err) {
    await Promise.all([store.close(), broker.close(), counters.close()])
    throw new StartupFailure(`cannot open the database: ${(err as Error).message.split('\n')[0]}`, withoutPassword(databaseUrl(config)), { cause: err })
  }
  configurePasswordHashing(config.auth.passwordHashing)
  const throttle = new CredentialThrottle(counters, config.auth.throttle,
    (err) => health.redis.report(err as Error, 'throttle store unavailable: credential checks run unthrottled'))
  const hub = new Hub(broker, (err, topic) => log.error({ err, topic }, 'subscriber failed'))
  const identity = new Identity(database, config.auth.passwordHashing.cost)
  const tokens = new Tokens({ secret, accessTtlMs: config.auth.accessTokenTtl, refreshTtlMs: config.auth.refreshTokenTtl, store })
  const subscriptions = new ConnectionTopics(hub, (err, topic) => log.warn({ err, topic }, 'leaving a closed connection\'s topic failed'))
  const connections = new ConnectionRegistry({
    topics: subscriptions,
    maxPerAddress: config.server.maxConnectionsPerAddress,
    onError: (err) => log.error({ err }, 'a revocation policy failed'),
  })
  const webhooks = createWebhooks(config, log)
  if (webhooks !== null) connections.observe(webhooks.observer)
  const outbound = outboundPressureOf(config.server, connections)
  const revocations = new Revocations(hub, tokens, connections, (data) => log.warn({ data }, 'malformed revocation notice ignored'))
  // This node's name in presence and the connections API: unique per process, like connection ids.
  const node = randomId(6)
  const presenceTimers = { ttl: config.presence.ttl, heartbeat: config.presence.heartbeat }
  const presenceStore: PresenceStore = redis
    ? new RedisPresenceStore({ url: redis, prefix: `${config.storage.redisPrefix}presence:`, node, ...presenceTimers, onError: onRedisError, health: health.redis })
    : new MemoryPresenceStore(node, presenceTimers)
  const tracker = new PresenceTracker(presenceStore)
  if (config.presence.enabled) connections.observe(tracker)
  const clusterConnections = new ConnectionDirectory(hub, connections, presenceStore, tracker, config.connections.timeout,
    (data) => log.warn({ data }, 'malformed connections message ignored'))
  // A user removed or disabled: its tokens and its connections on every node.
  identity.onRevoked((username) => revocations.revokeUser(username))
  const roles = new RoleDirectory(hub, database, log)
  identity.onRolesChanged((username, inForce) => roles.announce(username, inForce))
  const { authorizeUrl } = config.access
  const access = new Authorizer({
    access: config.access,
    roles,
    hook: authorizeUrl === null
      ? null
      : new AuthorizeHook({
        url: authorizeUrl,
        secret: config.backend.secret,
        timeoutMs: config.access.timeout,
        cacheTtlMs: config.access.cacheTtl,
        onFailure: (question, reason) => log.warn({ question, reason }, 'authorize hook gave no answer: denied'),
      }),
  })
  try {
    await revocations.start()
    await roles.start()
    await clusterConnections.start()
    await presenceStore.start()
    await identity.syncConfigUsers(config.users)
    insecureDefaults.add(await defaultUsersInDatabase(config, identity))
  } catch (err) {
    await Promise.allSettled([presenceStore.close(), broker.close(), store.close(), database.close()])
    throw err
  }

  const services: Services = {
    config,
    database,
    store,
    hub,
    identity,
    tokens,
    connections,
    subscriptions,
    revocations,
    presence: { enabled: config.presence.enabled, store: presenceStore, tracker },
    clusterConnections,
    access,
    counters,
    throttle,
    insecureDefaults,
    accepting: true,
    health,
    webhooks,
    outbound,
    onBackendCall: null,
    // A backend is made when a plugin registers; the listener is looked up per call, so metrics
    // wired at any point see every call.
    backend: (url) => createBackend(url, config.backend.timeout, config.backend.secret,
      (protocol, outcome, ms) => services.onBackendCall?.(protocol, outcome, ms)),
    async dependencies () {
      return { database: await database.ping(), store: store.isReady(), broker: broker.isReady() }
    },
    async unavailable () {
      return Object.entries(await services.dependencies()).flatMap(([name, up]) => up ? [] : [name])
    },
    async close () {
      outbound.close()
      // Presence first: a graceful stop removes this node's entries while Redis is still there.
      await Promise.allSettled([presenceStore.close(), clusterConnections.stop()])
      // The webhooks' flush gets half the shutdown grace: the rest is the other closes' margin
      // before serve() gives up and exits.
      await Promise.allSettled([broker.close(), store.close(), counters.close(), database.close(), webhooks?.close(config.server.shutdownGrace / 2)])
    },
  }
  return services
}
