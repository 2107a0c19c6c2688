import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { TEST_SECRET } from '../helpers/config.js'
import { postgresUrl } from '../helpers/infra.js'
import { startBuilt, type LogLine } from '../helpers/spawn-server.js'

// Dependency outages (issue 18): one warning when a dependency goes, one line when it is back,
// no flood in between; clients get "store unavailable" (503) without the driver's words.
const WARN = 40

function configFile (t: Test, yaml = ''): string {
  const dir = t.testdir({})
  const file = join(dir, 'config.yaml')
  writeFileSync(file, `storage:\n  database: "sqlite:${dir}/db.sqlite"\nauth:\n  jwtSecret: ${TEST_SECRET}\n  passwordHashing: { cost: 1024 }\nusers:\n  - { username: ops, password: ops-password }\nprotocols:\n  webrocket:\n    vhosts:\n      /echo: { users: [] }\n${yaml}`)
  return file
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

// A Redis of this test's own: the shared one on 6379 is never stopped.
async function privateRedis (t: Test, port: number) {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start')), 10_000)
    child.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('Ready to accept connections')) { clearTimeout(timer); resolve() } })
  })
  return {
    stop: () => new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGKILL') }),
  }
}

const warnings = (lines: LogLine[]) => lines.filter((l) => l.level >= WARN)
// Bounded above the helper's 5 s: while Redis is away a command waits for one reconnect attempt.
async function login (url: string, username = 'ops', password = 'ops-password') {
  const response = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }), signal: AbortSignal.timeout(20_000) })
  return { status: response.status, body: await response.json() as { message?: string } }
}

t.test('Redis goes away and comes back: one warning, one info line, 503 "store unavailable"', async (t) => {
  const port = await freePort()
  let redis = await privateRedis(t, port)
  const server = await startBuilt(t, ['--config', configFile(t)], { REDIS_URL: `redis://127.0.0.1:${port}` })
  t.equal((await login(server.url)).status, 200)
  const before = server.lines.length
  await redis.stop()
  const down = await server.waitFor((l) => l.msg === 'redis unavailable', 10_000, before)
  t.equal(down.level, WARN)
  // At once: each waits for one reconnect attempt, and many requests in one outage are the point.
  const replies = await Promise.all(Array.from({ length: 10 }, () => login(server.url)))
  replies.forEach((reply, i) => t.same({ status: reply.status, message: reply.body.message }, { status: 503, message: 'store unavailable' }, `login ${i}: no driver text`))
  // Let the clients fail to reconnect a few times (each attempt used to log a line).
  await server.waitFor(() => false, 3000).catch(() => {})
  redis = await privateRedis(t, port)
  const back = await server.waitFor((l) => l.msg === 'redis is back', 10_000, before)
  t.equal(back.level, 30)
  const during = server.lines.slice(before)
  t.same(warnings(during).map((l) => l.msg), ['redis unavailable'], 'one warning for the whole outage')
  t.equal(during.filter((l) => l.msg === 'redis is back').length, 1, 'one line when it is back')
  t.equal((await login(server.url)).status, 200, 'logins work again')
})

t.test('Redis unreachable from the start: one warning, however many requests', async (t) => {
  const server = await startBuilt(t, ['--config', configFile(t)], { REDIS_URL: 'redis://127.0.0.1:1' })
  await server.waitFor((l) => l.msg === 'redis unavailable', 10_000)
  for (const reply of await Promise.all(Array.from({ length: 10 }, () => login(server.url)))) t.same(reply.body.message, 'store unavailable')
  await server.waitFor(() => false, 2000).catch(() => {})
  // Besides the start-up warnings about the test's short JWT secret (and the banner's line for it).
  t.same(warnings(server.lines).map((l) => l.msg).filter((m) => !m.startsWith('insecure default')), ['redis unavailable'])
})

// PostgreSQL reached through a proxy this test can cut: the shared server keeps running.
async function cuttableProxy (t: Test, target: number) {
  const sockets = new Set<Socket>()
  let server: Server | null = null
  const open = (port = 0) => new Promise<number>((resolve) => {
    server = createServer((client) => {
      const upstream = connect(target, '127.0.0.1')
      sockets.add(client).add(upstream)
      client.pipe(upstream).pipe(client)
      const drop = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream) }
      client.on('error', drop).on('close', drop)
      upstream.on('error', drop).on('close', drop)
    })
    server.listen(port, '127.0.0.1', () => resolve((server!.address() as { port: number }).port))
  })
  const cut = () => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy()
    server!.close(() => resolve())
  })
  t.teardown(() => { if (server?.listening) return cut() })
  return { open, cut }
}

t.test('PostgreSQL goes away and comes back: one warning, one info line, 503 "store unavailable"', async (t) => {
  const url = new URL(await postgresUrl(t))
  const proxy = await cuttableProxy(t, Number(url.port || 5432))
  const port = await proxy.open()
  url.port = String(port)
  const server = await startBuilt(t, ['--config', configFile(t)], { DATABASE_URL: url.toString() })
  t.equal((await login(server.url)).status, 200)
  const before = server.lines.length
  await proxy.cut()
  for (let i = 0; i < 10; i++) {
    const reply = await login(server.url, `nobody${i}`, 'x')
    t.same({ status: reply.status, message: reply.body.message }, { status: 503, message: 'store unavailable' }, `login ${i}`)
  }
  await proxy.open(port)
  // The next query opens a new connection: the database is back.
  t.equal((await login(server.url)).status, 200)
  await server.waitFor((l) => l.msg === 'database is back', 10_000, before)
  const during = server.lines.slice(before)
  t.same(warnings(during).map((l) => l.msg), ['database unavailable'], 'one warning, no error per request')
  t.equal(during.filter((l) => l.msg === 'database is back').length, 1)
})
