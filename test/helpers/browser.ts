import { existsSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser } from 'playwright-core'

/** Debian's `chromium` package; browsers are never downloaded (design.md §6). `.ci/run` installs it. */
export const CHROMIUM = '/usr/bin/chromium'

/** A reason to skip browser tests, or false when Chromium is installed. */
export const skipWithoutChromium: string | false = existsSync(CHROMIUM)
  ? false
  : `Debian's chromium is not installed at ${CHROMIUM} (apt-get install -y chromium; .ci/run does)`

interface TestLike { teardown (fn: () => unknown): void }

/** Headless Chromium for one test, closed when it ends. */
export async function launchChromium (t: TestLike): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 20_000,
  })
  t.teardown(() => browser.close())
  return browser
}

// The packages' `exports` hide their browser bundles from require.resolve: found on disk instead.
const nodeModule = (path: string) => fileURLToPath(new URL(`../../node_modules/${path}`, import.meta.url))

/** The browser bundles of the two socket.io-client versions DAS serves (design.md §6). */
export const SOCKET_IO_BUNDLES = {
  '/socket.io-v4.js': nodeModule('socket.io-client/dist/socket.io.min.js'),
  '/socket.io-v2.js': nodeModule('socket.io-client-v2/dist/socket.io.js'),
}

/**
 * A tiny static server on its own port, i.e. its own origin (`http://127.0.0.1:PORT`): serves
 * `files` (URL path → file on disk) and `pages` (URL path → HTML), 404 otherwise.
 */
export async function startStaticOrigin (t: TestLike, files: Record<string, string>, pages: Record<string, string> = {}): Promise<{ origin: string, server: Server }> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname
    if (pages[path] !== undefined) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(pages[path])
    } else if (files[path] !== undefined) {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(readFileSync(files[path]))
    } else {
      response.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => {
    // Chromium keeps connections alive; close would wait for them.
    server.closeAllConnections()
    server.close(resolve)
  }))
  const { port } = server.address() as { port: number }
  return { origin: `http://127.0.0.1:${port}`, server }
}
