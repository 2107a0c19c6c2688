import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { postgresUrl } from '../helpers/infra.js'
import { TEST_API_KEY, TEST_SECRET } from '../helpers/config.js'

interface TestLike {
  teardown (fn: () => unknown): void
  testdir (files?: Record<string, string>): string
}

const root = new URL('../../', import.meta.url).pathname

/** Builds dist/ once if the sources are newer (the cluster runs the real built server). */
export function buildOnce (): void {
  execFileSync(process.execPath, [join(root, 'scripts/build-if-needed.mjs')], { cwd: root, stdio: 'inherit' })
}

export async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

async function waitUntil (what: string, check: () => Promise<boolean>, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${timeout} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** A private redis-server for tests that stop and restart Redis without disturbing other tests. */
export class PrivateRedis {
  #process: ChildProcess | undefined
  private constructor (readonly port: number, private readonly dir: string) {}

  static async start (t: TestLike): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), t.testdir({}))
    t.teardown(() => redis.stop())
    await redis.restart()
    return redis
  }

  get url (): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async restart (): Promise<void> {
    this.#process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], { stdio: 'ignore' })
    await waitUntil('redis up', async () => {
      const { Redis } = await import('ioredis')
      const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
      client.on('error', () => {})
      try {
        await client.connect()
        return (await client.ping()) === 'PONG'
      } finally {
        client.disconnect()
      }
    }, 10_000)
  }

  async stop (): Promise<void> {
    const child = this.#process
    if (!child || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }
}

export interface Node {
  name: string
  url: string
  wsUrl: string
  port: number
  process: ChildProcess
  output: () => string
  /** What another process of the same cluster needs (`startNode(t, name, ...node.shared)`). */
  shared: [configFile: string, redisUrl: string, databaseUrl: string]
  /** SIGKILL: the node dies without a goodbye. */
  kill (): Promise<void>
  /** SIGTERM: graceful shutdown (sockets closed with 1001); resolves with the exit code. */
  stop (): Promise<number | null>
}

export interface ClusterOptions {
  redisUrl: string
  databaseUrl?: string
  /** Extra YAML appended to every node's config (protocol settings). */
  configYaml?: string
}

/** Starts `count` real server processes (dist build) at once, sharing one fresh PostgreSQL schema and one Redis. */
export async function startCluster (t: TestLike, count: number, options: ClusterOptions): Promise<Node[]> {
  buildOnce()
  const dir = t.testdir({})
  const databaseUrl = options.databaseUrl ?? await postgresUrl(t)
  const prefix = `sbcluster:${Math.random().toString(36).slice(2, 8)}:`
  const configFile = join(dir, 'config.yaml')
  writeFileSync(configFile, [
    'server:\n  host: 127.0.0.1\n  shutdownGrace: 3s',
    `storage:\n  redisPrefix: "${prefix}"`,
    `auth:\n  jwtSecret: ${TEST_SECRET}\n  apiKeys: [${TEST_API_KEY}]`,
    'users:\n  - { username: admin, password: admin-pass, admin: true }\n  - { username: alice, password: alice-pass, email: alice@example.test }',
    options.configYaml ?? '',
  ].join('\n'))
  // All at once, as a deployment starts its nodes: migrations and config seeding must cope.
  return Promise.all(Array.from({ length: count }, (_v, i) => startNode(t, `node${i}`, configFile, options.redisUrl, databaseUrl)))
}

export async function startNode (t: TestLike, name: string, configFile: string, redisUrl: string, databaseUrl: string): Promise<Node> {
  const port = await freePort()
  const child = spawn(process.execPath, [join(root, 'dist/src/server.js'), '--config', configFile], {
    env: { ...process.env, PORT: String(port), REDIS_URL: redisUrl, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (c: Buffer) => { output += c.toString() })
  child.stderr!.on('data', (c: Buffer) => { output += c.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  const url = `http://127.0.0.1:${port}`
  await waitUntil(`${name} ready`, async () => (await fetch(`${url}/ready`)).status === 200, 60_000)
    .catch((err: Error) => { throw new Error(`${err.message}\n${output}`) })
  return {
    name,
    url,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    process: child,
    output: () => output,
    shared: [configFile, redisUrl, databaseUrl],
    async kill () {
      child.kill('SIGKILL')
      await exited
    },
    stop () {
      child.kill('SIGTERM')
      return exited
    },
  }
}

export { waitUntil }
