import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify'

// @fastify/websocket routes an upgrade through Fastify with a ServerResponse (the reply's
// `reply.raw`) assigned to the socket; nothing ends that response, so the socket would keep it,
// its request, the Fastify request/reply and their child logger for its whole life (~3 KiB per
// idle connection). Its WebSocket handlers get the request, not the reply: an onRequest hook of
// each WebSocket route remembers the response until the socket is accepted. Public APIs only
// (`reply.raw`, `response.detachSocket`, `request.socket`), no read of Node's `_httpMessage`.

const responses = new WeakMap<IncomingMessage, ServerResponse>()

function rememberResponse (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  // `request.ws`: set by @fastify/websocket for an upgrade (a plain GET of the route is not one).
  if (request.ws) responses.set(request.raw, reply.raw)
  done()
}

/** Adds the hook to every WebSocket route registered from now on (call before the protocol plugins). */
export function keepUpgradeResponses (app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (!route.websocket && !route.wsHandler) return
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
    route.onRequest = [...own, rememberResponse as onRequestHookHandler]
  })
}

/** The upgrade succeeded: its socket lets go of the response Fastify routed it with. */
export function releaseUpgradeResponse (request: FastifyRequest): void {
  const response = responses.get(request.raw)
  if (response === undefined) return
  responses.delete(request.raw)
  // Detaching a response from a socket it is not assigned to fails an assertion in Node.
  if (response.socket === request.raw.socket) response.detachSocket(request.raw.socket)
}
