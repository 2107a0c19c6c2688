import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

// Found by walking up to the package root, so it works from src/ (tests) and dist/src/ (built).
function packageRoot (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir)
  return dir
}

/** The page, its scripts and its style: plain files, loaded as they are (no build step). */
export const CONSOLE_FILES = join(packageRoot(), 'web', 'console')

// socket.io-client's ES-module browser build, for the page to import like its own modules. The
// package's `exports` map hides `dist/`, but lists its package.json: the bundle sits next to it.
const SOCKET_IO_CLIENT = join(dirname(createRequire(import.meta.url).resolve('socket.io-client/package.json')), 'dist', 'socket.io.esm.min.js')

/**
 * The browser console (README "Browser console"): `GET /console` is the page, `/console/*` its
 * files and `/console/vendor/socket.io.esm.min.js` the Socket.IO client it talks DAS through.
 * Everything comes from this server, so the global Content-Security-Policy (`'self'` only,
 * src/http/security-headers.ts) already fits: the page has no inline script or style.
 * Registered without fastify-plugin: @fastify/static's reply decorator stays in this scope.
 */
export async function consoleRoutes (app: FastifyInstance): Promise<void> {
  // Read once: it is the same 50 kB for every page load and never changes while the server runs.
  const socketIoClient = readFileSync(SOCKET_IO_CLIENT)
  await app.register(fastifyStatic, { root: CONSOLE_FILES, prefix: '/console/', index: 'index.html', schemaHide: true })
  app.get('/console', { schema: { hide: true } }, (_request, reply) => reply.sendFile('index.html'))
  app.get('/console/vendor/socket.io.esm.min.js', { schema: { hide: true } }, (_request, reply) => {
    reply.type('text/javascript; charset=utf-8').send(socketIoClient)
  })
}
