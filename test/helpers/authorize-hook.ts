import { createServer } from 'node:http'
import type { HookQuestion } from '../../src/core/access/authorize-hook.js'

export type { HookQuestion }

interface TestLike { teardown (fn: () => unknown): void }

/**
 * A local backend answering `access.authorizeUrl` with `{"allow": allow(question)}`; `asked` lists
 * every question in arrival order. Closed when the test ends.
 */
export async function authorizeHook (t: TestLike, allow: (question: HookQuestion) => boolean): Promise<{ url: string, asked: HookQuestion[] }> {
  const asked: HookQuestion[] = []
  const server = createServer((req, res) => {
    let raw = ''
    req.on('data', (chunk) => { raw += chunk })
    req.on('end', () => {
      const question = JSON.parse(raw) as HookQuestion
      asked.push(question)
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ allow: allow(question) }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => {
    server.closeAllConnections()
    server.close(resolve)
  }))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/authorize`, asked }
}
