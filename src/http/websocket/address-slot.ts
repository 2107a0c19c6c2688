import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import proxyAddr from '@fastify/proxy-addr'
import type { ServerConfig } from '../../config/schema.js'
import type { AddressSlot } from '../../core/connection-registry.js'

const SLOT = Symbol('switchboard.addressSlot')
type SlotHolder = { [SLOT]?: AddressSlot }

// Slots of sockets still in their handshake. Not a property of the socket: a property added to a
// net.Socket costs every idle connection a property array (accept.ts: idle connections are what a
// gateway holds most of), and the handshake is where a slot stays only briefly.
const handshaking = new WeakMap<Socket, AddressSlot>()

// One shared listener, not a closure per connection.
function releaseSlot (this: Socket): void {
  handshaking.get(this)?.release()
  handshaking.delete(this)
}

/** The slot goes back when the TCP socket closes: a refused or failed handshake, or a finished connection. */
export function holdUntilClosed (socket: Socket, slot: AddressSlot): void {
  handshaking.set(socket, slot)
  socket.once('close', releaseSlot)
}

/**
 * The slot of a socket whose WebSocket handshake succeeded, taken over by its connection (which
 * gives it back when it closes): the socket's own close listener and entry go, so an accepted
 * connection holds nothing for its slot but the slot.
 */
export function takeSlot (socket: Socket | undefined): AddressSlot | undefined {
  if (!socket) return undefined
  const slot = handshaking.get(socket)
  if (!slot) return undefined
  handshaking.delete(socket)
  socket.removeListener('close', releaseSlot)
  return slot
}

/** The slot a request took (Socket.IO keeps it from `allowRequest` to its session). */
export function attachSlot (request: IncomingMessage, slot: AddressSlot): void {
  (request as IncomingMessage & SlotHolder)[SLOT] = slot
}

export function slotOf (request: IncomingMessage | null | undefined): AddressSlot | undefined {
  return (request as (IncomingMessage & SlotHolder) | null | undefined)?.[SLOT]
}

/**
 * The client address of a raw request, as Fastify's `request.ip` computes it for the same
 * `trustProxy` (with the same library): for upgrades that never reach Fastify (Socket.IO).
 */
export function clientAddress (trustProxy: ServerConfig['trustProxy']): (request: IncomingMessage) => string {
  if (trustProxy === false) return (request) => request.socket.remoteAddress ?? ''
  const trust = trustProxy === true ? () => true : proxyAddr.compile(trustProxy.split(',').map((s) => s.trim()))
  return (request) => proxyAddr(request, trust)
}
