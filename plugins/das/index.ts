import type { IncomingMessage } from 'node:http'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { Server, type Socket } from 'socket.io'
import { startAuthWindow } from '../../src/core/auth-window.js'
import { attachSlot, clientAddress, holdUntilClosed, slotOf } from '../../src/http/websocket/address-slot.js'
import type { DasConfig } from '../../src/config/schema.js'
import type { PluginOptions } from '../../src/core/services.js'
import { socketIoCors } from '../../src/http/cors.js'
import { NoSubprotocolWebSocketServer } from '../../src/http/websocket/subprotocols.js'
import { DasConnection } from './connection.js'
import { DeliveryFeed, publishDelivery, type FeedContext } from './delivery-feed.js'
import { boundPollingClose, closeTransport, forgetUpgradeRequest, packetBytes, releaseRequest, takeAcks, transportBufferedBytes, writeBufferBytes, type EngineConnection, type EnginePacket } from './engine-adapter.js'
import { EventWriter } from './event-writer.js'
import type { Delivery } from './messages.js'
import { capOutbound } from './outbound-cap.js'
import { ReceiveGate } from './receive-gate.js'
import { DasSessions } from './registry.js'
import { dasRoutes } from './routes.js'
import { DasSession } from './session.js'
import { listenersAddedBy, routeUpgrades } from './upgrade-router.js'

export type DasPluginOptions = PluginOptions<DasConfig>

declare module 'fastify' {
  interface FastifyInstance {
    /** The DAS Socket.IO server and this node's sessions (inspection, tests). */
    das: { io: Server, sessions: DasSessions, deliver (delivery: Delivery): Promise<void> }
  }
}

/**
 * DAS / EarthRanger realtime API (docs/protocols/das.md §5, seed 004): a Socket.IO v4 server (Engine.IO
 * v3 clients too) on the Fastify HTTP server, namespace `/das`, plus the companion REST.
 */
async function das (app: FastifyInstance, { services, config }: DasPluginOptions): Promise<void> {
  const { allowedOrigins, cors, maxPayload, sendBufferLimit, closeTimeout } = services.config.server
  const log = app.log.child({ protocol: 'das' })
  const addressOf = clientAddress(services.config.server.trustProxy)

  const io = new Server({
    path: config.path,
    serveClient: false,
    allowEIO3: config.allowEIO3,
    maxHttpBufferSize: maxPayload,
    // Long-polling from web apps on other origins: the origins of server.cors.origins, with
    // credentials (socket.io-client 2.x polls with them); none configured = no CORS headers.
    cors: socketIoCors(cors),
    // Upgrades answer no subprotocol rather than ws's echo of the first one offered.
    wsEngine: NoSubprotocolWebSocketServer,
    allowRequest: (request: IncomingMessage, callback: (err: string | null | undefined, ok: boolean) => void) => {
      if (!services.accepting) return callback('shutting down', false)
      const origin = request.headers.origin
      if (allowedOrigins.length > 0 && origin !== undefined && !allowedOrigins.includes(origin)) return callback('origin not allowed', false)
      // server.maxConnectionsPerAddress, counted with the WebSocket protocols. Called for a new
      // session only; its slot goes back when the session closes (below), when the handshake
      // fails after this (connection_error), or with the socket of a failed WebSocket upgrade.
      const slot = services.connections.admit(addressOf(request))
      if (!slot) return callback('too many connections from this address', false)
      attachSlot(request, slot)
      if (request.headers.upgrade) holdUntilClosed(request.socket, slot)
      callback(null, true)
    },
  })

  // engine.io wraps the server's 'request' listeners (Fastify's handler among them) so requests
  // under its path — long-polling — reach engine.io and never Fastify's 404. Its 'upgrade'
  // listener is replaced by the path router, which takes over the listeners there are now:
  // @fastify/websocket's, installed when it registered, before every protocol plugin (app.ts).
  const engineUpgradeListeners = listenersAddedBy(app.server, 'upgrade', () => io.attach(app.server, { destroyUpgrade: false }))
  for (const listener of engineUpgradeListeners) app.server.removeListener('upgrade', listener)
  // Last of engine.io's middlewares (its CORS one is installed as it attaches): an idle
  // connection holds neither the request that opened it (releaseRequest, below) nor its upgrade's.
  io.engine.use(forgetUpgradeRequest)
  const restoreUpgrades = routeUpgrades(app.server, `${io.path()}/`, (request, socket, head) => io.engine.handleUpgrade(request, socket, head))
  // The DAS socket of each Engine.IO connection, for the slow-consumer log (conn.id is private).
  const dasSocketIds = new WeakMap<EngineConnection, string>()
  // Per Engine.IO connection, whatever namespace or transport: every outbound packet counts
  // against server.sendBufferLimit (outbound-cap.ts), and a closed long-polling transport
  // waits for its next poll no longer than the close handshake of every other socket. The
  // address slot taken by allowRequest is given back when the connection ends.
  const capOptions = {
    limit: sendBufferLimit,
    closeTimeout,
    onBreach: (conn: EngineConnection) => {
      services.connections.slowConsumerClosed('das')
      // Named as the close log and the connections API name it: the DAS socket's id (null when
      // the connection never opened the DAS namespace, e.g. it floods unknown namespaces).
      const connection = dasSocketIds.get(conn) ?? null
      log.info({ connection, remoteAddress: conn.remoteAddress, transport: conn.transport.name }, 'das connection dropped: send buffer limit exceeded')
    },
  }
  io.engine.on('connection_error', (error: { req?: IncomingMessage }) => slotOf(error.req)?.release())
  io.engine.on('connection', (conn: EngineConnection) => {
    const slot = slotOf(conn.request)
    if (slot) conn.once('close', () => slot.release())
    boundPollingClose(conn, closeTimeout)
    capOutbound(conn, capOptions)
    // Last: the slot was read from the request, which the connection need not hold any longer.
    releaseRequest(conn)
  })

  const sessions = new DasSessions()
  const feedContext: FeedContext = {
    topics: services.subscriptions,
    onInvalid: (data) => log.warn({ data }, 'malformed das delivery ignored'),
    onError: (err) => log.warn({ err }, 'das topic not left'),
  }
  // Engine.IO connections with an authenticated DAS socket (identity, not ids: conn.id is private).
  const authenticatedConnections = new WeakSet<object>()
  const nsp = io.of(config.namespace)

  nsp.on('connection', (socket: Socket) => {
    const engineConnection = socket.conn
    dasSocketIds.set(engineConnection, socket.id)
    const session = new DasSession(socket, {
      authWindow: config.authWindow,
      connectAckDelay: config.connectAckDelay,
      // Every presented token is a credential check under the throttle (README, "Throttling").
      verifyAccess: async (token) => {
        const verdict = await services.throttle.guard({ address: socket.handshake.address, protocol: 'das' }, async () => {
          const check = await services.tokens.verifyAccess(token)
          return check.ok ? check : null
        })
        if (verdict.ok) return verdict.value
        return verdict.reason === 'denied' ? { ok: false, reason: 'invalid' } : 'throttled'
      },
      listen: (_s, username): Promise<void> => feed.listen(username),
      onAuthenticated: (s) => {
        const first = !authenticatedConnections.has(engineConnection)
        authenticatedConnections.add(engineConnection)
        // Indexed by user in the core: a revoked user or token drops the socket on any node.
        services.connections.authenticated(connection, s.principal!, s)
        // Presence names a DAS subscription by its namespace: an authorized socket receives its
        // deliveries until it disconnects (README "Presence"), so it subscribes once, here.
        if (first) services.connections.subscribed(connection, config.namespace)
      },
      gateFor: (s, principal) => {
        // README "Authorization": nothing to ask when every delivery is allowed whoever receives it.
        if (!services.access.restricted('das') && principal.channels === undefined) return null
        return new ReceiveGate((resource) => services.access.authorize({ protocol: 'das', action: 'subscribe', resource, principal, connectionId: s.id }))
      },
      // Graceful shutdown (DasConnection.close with 1001): the client reconnects to the next node.
      closeTransport: () => closeTransport(engineConnection, closeTimeout),
      // Data events encoded once per delivery, written past socket.io (event-writer.ts).
      writeEvent: (event, shared, tail, ack) => writer.write(event, shared, tail, ack),
      log,
      maxDepth: services.config.limits.maxDepth,
    })
    // What the connection holds unread, for the admission control's measure (node-backlog.ts).
    const unread = () => transportBufferedBytes(engineConnection) + writeBufferBytes(engineConnection)
    const connection = new DasConnection(session, socket.handshake.address, unread)
    const writer = new EventWriter(socket, connection.traffic, services.outbound)
    // One acknowledgement comes back per data event: read past socket.io's general decoder.
    takeAcks(socket)
    const feed = new DeliveryFeed(session, connection, feedContext)
    sessions.add(session)
    services.connections.add(connection, { userAgent: socket.handshake.headers['user-agent'] })
    // Socket.IO messages in and out of this Engine.IO connection (pings and handshakes are not frames).
    engineConnection.on('packet', (packet: EnginePacket) => { if (packet.type === 'message') connection.traffic.received(packetBytes(packet)) })
    engineConnection.on('packetCreate', (packet: EnginePacket) => { if (packet.type === 'message') connection.traffic.sent(packetBytes(packet)) })
    for (const [event, handler] of Object.entries(session.handlers)) {
      socket.on(event, (arg: unknown) => {
        // Handlers answer bad input themselves; anything else is a bug, logged, never thrown
        // into socket.io (where it would vanish) and never fatal to other sockets.
        // A guard against session bugs; no input reaches it (the tests try).
        /* c8 ignore start */
        const fail = (err: unknown) => log.error({ err, connection: socket.id, event }, 'das handler failed')
        try {
          const pending = handler(arg)
          if (pending) pending.catch(fail)
        } catch (err) {
          fail(err)
        }
        /* c8 ignore stop */
      })
    }
    socket.on('disconnect', (reason: string) => {
      session.socketClosed()
      sessions.remove(session)
      authenticatedConnections.delete(engineConnection)
      services.connections.remove(connection, { code: null, reason })
    })
    session.start()
  })

  // socket.io 2.x clients also open the main namespace on the same connection (§5.8 item 11):
  // it carries nothing, and it may not outlive the auth window on a connection that never
  // authenticated on the DAS namespace.
  if (config.namespace !== '/' && config.authWindow > 0) {
    io.of('/').on('connection', (socket: Socket) => {
      const timer = startAuthWindow(config.authWindow, () => {
        if (!authenticatedConnections.has(socket.conn)) socket.disconnect(true)
      })
      socket.on('disconnect', () => clearTimeout(timer))
    })
  }

  const deliver = (delivery: Delivery): Promise<void> => publishDelivery(services.hub, delivery)

  // A user's roles changed on some node: its sockets here ask again what they may receive.
  services.access.onRolesChanged((username) => {
    for (const connection of services.connections.ofUser(username)) {
      if (connection.protocol === 'das') sessions.get(connection.id)?.rolesChanged()
    }
  })

  // §5.5: a socket that leaves a trace unacknowledged past traceTtl is dropped by the sweep.
  let sweep: NodeJS.Timeout | undefined
  if (config.cleanupInterval > 0 && config.traceTtl > 0) {
    sweep = setInterval(() => {
      for (const session of [...sessions.all()]) {
        if (session.hasExpiredTrace(config.traceTtl)) session.close('unacknowledged trace')
      }
    }, config.cleanupInterval)
    sweep.unref()
  }

  app.decorate('das', { io, sessions, deliver })
  await app.register(dasRoutes, { services, deliver })

  app.addHook('onClose', async () => {
    if (sweep) clearInterval(sweep)
    restoreUpgrades()
    // Disconnects what is left (each socket leaves its topics) and closes engine.io (the HTTP
    // server is already closed by now, which io.close() tolerates).
    await io.close()
  })
}

export default fp(das, { name: 'switchboard-das', fastify: '5.x' })
