import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import proxyAddr from '@fastify/proxy-addr'
import type { ServerConfig } from '../../config/schema.js'
import type { AddressSlot } from '../../core/connection-registry.js'

const SLOT = Symbol('switchboard.addressSlot')
type SlotHolder = { [SLOT]?: AddressSlot }

// One shared listener, not a closure per connection (accept.ts: idle connections are what a gateway holds most of).
function releaseSlot (this: SlotHolder): void {
  this[SLOT]?.release()
}

/** The slot goes back when the TCP socket closes: a finished WebSocket, or a refused or failed handshake. */
export function holdUntilClosed (socket: Socket, slot: AddressSlot): void {
  (socket as Socket & SlotHolder)[SLOT] = slot
  socket.once('close', releaseSlot)
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
