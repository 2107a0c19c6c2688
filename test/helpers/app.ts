import type { FastifyInstance } from 'fastify'
import type { DestinationStream } from 'pino'
import { buildApp } from '../../src/app.js'
import { ADMIN, testConfig, TEST_API_KEY, type ConfigOverrides } from './config.js'
import { postgresUrl, REDIS_URL, redisPrefix } from './infra.js'

export interface RunningApp {
  app: FastifyInstance
  /** `http://127.0.0.1:PORT` */
  url: string
  /** `ws://127.0.0.1:PORT` */
  wsUrl: string
  port: number
}

interface TestLike { teardown (fn: () => unknown): void }

/**
 * Starts an app on a free port (or `server.port` of the overrides: a restart); closed when the
 * test ends. Logs nothing unless given a `logStream`.
 */
export async function startApp (t: TestLike, overrides: ConfigOverrides = {}, { logStream }: { logStream?: DestinationStream } = {}): Promise<RunningApp> {
  const config = testConfig(overrides)
  const app = await buildApp(config, logStream === undefined ? { logger: false } : { logStream })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: config.server.port })
  const port = (app.server.address() as { port: number }).port
  return { app, port, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}` }
}

/**
 * Overrides for a cluster within one test: the same fresh Redis prefix and PostgreSQL schema,
 * so every app started with them shares tokens, sessions, pub/sub and durable data.
 */
export async function sharedClusterOverrides (t: TestLike): Promise<ConfigOverrides> {
  return { storage: { redis: REDIS_URL, redisPrefix: redisPrefix(t), database: await postgresUrl(t) } }
}

/** JSON request helper returning status and parsed body. */
export async function request (base: string, method: string, path: string, options: { body?: unknown, token?: string, apiKey?: string, form?: Record<string, string>, headers?: Record<string, string> } = {}): Promise<{ status: number, body: any, headers: Headers }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const headers: Record<string, string> = { ...options.headers }
  let body: string | undefined
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(options.form).toString()
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json'
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.apiKey) headers['x-api-key'] = options.apiKey
  const response = await fetch(base + path, { method, headers, body, signal: AbortSignal.timeout(5000) })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = text ? JSON.parse(text) : null
  } catch {
    // not JSON: the body stays text
  }
  return { status: response.status, body: parsed, headers: response.headers }
}

/** An access token for a configured user (default: the admin). */
export async function login (base: string, user: { username: string, password: string } = ADMIN): Promise<string> {
  const { status, body } = await request(base, 'POST', '/api/auth/login', { body: user })
  if (status !== 200) throw new Error(`login failed: ${status} ${JSON.stringify(body)}`)
  return body.access_token as string
}

export { TEST_API_KEY }
