import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyInstance } from 'fastify'

export const REQUEST_ID_HEADER = 'x-request-id'

// What a proxy or a client may name a request with: short, printable, no spaces or quotes, so
// that it is safe in a log line and in a response header. Anything else is replaced.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

// Ids of upgrades in flight: the 101 is written by `ws`, not by a Fastify reply, so its header is
// added from ws's 'headers' event, which sees only the raw request. Taken (deleted) there; a
// failed upgrade's entry goes with its request (weak keys).
const upgradeIds = new WeakMap<IncomingMessage, string>()

/**
 * Fastify's `genReqId`: the caller's `X-Request-Id` when it is a sane token (a proxy's id, so
 * one request can be followed through both logs), otherwise a random UUID.
 */
export function requestId (request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER]
  const id = typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID()
  if (request.headers.upgrade !== undefined) upgradeIds.set(request, id)
  return id
}

/**
 * Echoes every request's id in its response, WebSocket upgrades included (call after
 * @fastify/websocket registered). Socket.IO's upgrades do not pass through Fastify and carry none.
 */
export function echoRequestIds (app: FastifyInstance): void {
  // As the reply is sent: an accepted upgrade sends none (its 101 gets the id below).
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header(REQUEST_ID_HEADER, request.id)
    done(null, payload)
  })
  app.websocketServer.on('headers', (headers: string[], request: IncomingMessage) => {
    const id = upgradeIds.get(request)
    // Every upgrade @fastify/websocket hands to ws was routed by Fastify, which named it first.
    /* c8 ignore next */
    if (id === undefined) return
    upgradeIds.delete(request)
    headers.push(`X-Request-Id: ${id}`)
  })
}
