import { createServer } from 'node:http'
import type { HookQuestion } from '../../src/core/access/authorize-hook.js'

interface TestLike { teardown (fn: () => unknown): void }

/**
 * A backend answering `access.authorizeUrl` (README "Authorization"): `{"allow": decide(question)}`
 * for every question, which it records. Closed when the test ends.
 */
export async function hookBackend (t: TestLike, decide: (question: HookQuestion) => boolean): Promise<{ url: string, asked: HookQuestion[] }> {
  const asked: HookQuestion[] = []
  const server = createServer((req, res) => {
    let raw = ''
    req.on('data', (chunk) => { raw += chunk })
    req.on('end', () => {
      const question = JSON.parse(raw) as HookQuestion
      asked.push(question)
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ allow: decide(question) }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => {
    server.closeAllConnections()
    server.close(resolve)
  }))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/authorize`, asked }
}
