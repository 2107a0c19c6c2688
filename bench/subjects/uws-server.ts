// Baseline 3 (issue 21): what a user gets from uWebSockets.js — the same wire as ws-server.ts
// (auth, sub, pub), with uWS's native pub/sub: a subscriber is `ws.subscribe(channel)`, a publish
// is one `app.publish(channel, frame)`. The package is `@trufflesuite/uws-js-unofficial` (a dev
// dependency used only here). Its loader silently falls back to a JavaScript implementation on
// `ws` when the native binary does not load; that would measure `ws` under uWS's name, so the
// binary is loaded directly and a machine without it has no `uws` subject (skipped, not failed).
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { plainRequest, type PlainClient } from './plain-wire.js'
import type { RunningServer } from './types.js'

type Uws = typeof import('@trufflesuite/uws-js-unofficial')

const PACKAGE = '@trufflesuite/uws-js-unofficial'

/**
 * The native binary for this platform, architecture and Node ABI, inside the package
 * (BENCH_UWS_BINARY names another one, e.g. a build for a newer Node).
 */
export function uwsBinaryPath (): string {
  if (process.env.BENCH_UWS_BINARY) return process.env.BENCH_UWS_BINARY
  const root = dirname(createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`))
  return join(root, 'binaries', `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`)
}

/** uWebSockets.js, or why it cannot run here. */
export function loadUws (binary?: string): { uws: Uws } | { error: string } {
  try {
    return { uws: createRequire(import.meta.url)(binary ?? uwsBinaryPath()) as Uws }
  } catch (err) {
    return { error: `uWebSockets.js does not load here (${(err as Error).message.split('\n')[0]})` }
  }
}

type Client = PlainClient

/** `maxBackpressure`: the outbound bytes per socket past which uWS skips that socket's publishes. */
export async function startUwsServer (maxBackpressure: number): Promise<RunningServer> {
  const loaded = loadUws()
  if ('error' in loaded) throw new Error(loaded.error)
  const { uws } = loaded
  const open = new Set<import('@trufflesuite/uws-js-unofficial').WebSocket<Client>>()
  const app = uws.App()
  app.ws<Client>('/*', {
    maxPayloadLength: 64 * 1024,
    maxBackpressure,
    upgrade: (res, req, context) => {
      res.upgrade<Client>({ user: null }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'), context)
    },
    open: (ws) => { open.add(ws) },
    close: (ws) => { open.delete(ws) },
    message: (ws, data) => {
      const request = plainRequest(Buffer.from(data).toString(), ws.getUserData(), ws)
      if (request === null) return
      if ('sub' in request) {
        ws.subscribe(request.sub)
        ws.send('{"ok":"sub"}')
      } else {
        app.publish(request.pub, request.text)
      }
    },
  })
  const listening = await new Promise<import('@trufflesuite/uws-js-unofficial').us_listen_socket>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (socket) => socket ? resolve(socket) : reject(new Error('uWebSockets.js could not listen')))
  })
  return {
    port: uws.us_socket_local_port(listening as unknown as import('@trufflesuite/uws-js-unofficial').us_socket),
    connections: () => open.size,
    close: async () => {
      uws.us_listen_socket_close(listening)
      for (const ws of [...open]) ws.close()
    },
  }
}
