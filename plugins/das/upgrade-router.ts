import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'

type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

/**
 * Routes HTTP upgrades by path on a server that several upgrade handlers share.
 *
 * @fastify/websocket sends every upgrade through Fastify's router and answers 404 (then
 * destroys the socket) for paths it has no route for; engine.io's own listener ends, after a
 * second, any upgrade outside its path that nobody answered yet. Either would kill the other's
 * sockets. So this takes over the server's 'upgrade' listeners: requests under `prefix` go to
 * `handle` alone, everything else to the listeners that were there before, unchanged.
 * Returns a function that puts the previous listeners back.
 */
export function routeUpgrades (server: Server, prefix: string, handle: UpgradeListener): () => void {
  const previous = server.listeners('upgrade') as UpgradeListener[]
  server.removeAllListeners('upgrade')
  const router: UpgradeListener = (request, socket, head) => {
    if (request.url?.startsWith(prefix)) {
      handle(request, socket, head)
      return
    }
    for (const listener of previous) listener.call(server, request, socket, head)
  }
  server.on('upgrade', router)
  return () => {
    server.removeListener('upgrade', router)
    for (const listener of previous) server.on('upgrade', listener)
  }
}

/** Listeners of `event` added while `fn` ran (to remove the ones a library installs). */
export function listenersAddedBy (server: Server, event: string, fn: () => void): Array<(...args: unknown[]) => void> {
  const before = new Set(server.listeners(event))
  fn()
  return server.listeners(event).filter((l) => !before.has(l)) as Array<(...args: unknown[]) => void>
}
