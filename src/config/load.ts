import { readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value'
import type { TSchema } from '@sinclair/typebox'
import { parse as parseYaml } from 'yaml'
import { accessProblem } from './access-check.js'
import { expectedOf } from './expected.js'
import { resolveAllowedOrigins } from './origins.js'
import { ConfigSchema, type Config } from './schema.js'
import { parseDuration, parseSize } from './units.js'

/** A config that cannot be used; `path` is the JSON pointer of the offending key. */
export class ConfigError extends Error {
  constructor (readonly path: string, readonly reason: string) {
    super(`config ${path || '(root)'}: ${reason}`)
    this.name = 'ConfigError'
  }
}

type Plain = Record<string, unknown>
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Merges `over` into `base`: objects key by key, everything else replaced. */
export function deepMerge (base: Plain, over: Plain): Plain {
  const out: Plain = { ...base }
  for (const [key, value] of Object.entries(over)) {
    out[key] = isPlain(value) && isPlain(out[key]) ? deepMerge(out[key] as Plain, value) : value
  }
  return out
}

export function readConfigFile (file: string): Plain {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError('', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  let parsed: unknown
  try {
    parsed = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text)
  } catch (err) {
    throw new ConfigError('', `${file} is not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`)
  }
  if (parsed == null) return {}
  if (!isPlain(parsed)) throw new ConfigError('', `${file} must hold a mapping of sections`)
  return parsed
}

/** The config key (JSON pointer) each environment variable of design.md §3 sets. */
export const ENV_KEYS = {
  PORT: '/server/port',
  HOST: '/server/host',
  DATABASE_URL: '/storage/database',
  REDIS_URL: '/storage/redis',
  DATA_DIR: '/storage/dataDir',
  JWT_SECRET: '/auth/jwtSecret',
  API_KEYS: '/auth/apiKeys',
  LOG_LEVEL: '/log/level',
} as const

/**
 * How to name a config key to whoever set it: the environment variable when one is set for it
 * (`PORT`, not `/server/port`; `API_KEYS` for `/auth/apiKeys/1`), else the key's JSON pointer.
 */
export function keyName (path: string, env: NodeJS.ProcessEnv): string {
  for (const [variable, key] of Object.entries(ENV_KEYS)) {
    if (env[variable] && (path === key || path.startsWith(`${key}/`))) return variable
  }
  return path
}

/** The environment variables of design.md §3, as a partial config. */
export function envOverrides (env: NodeJS.ProcessEnv): Plain {
  const server: Plain = {}
  const storage: Plain = {}
  const auth: Plain = {}
  const out: Plain = {}
  if (env.PORT) server.port = /^-?\d+$/.test(env.PORT) ? Number(env.PORT) : env.PORT
  if (env.HOST) server.host = env.HOST
  if (env.DATABASE_URL) storage.database = env.DATABASE_URL
  if (env.REDIS_URL) storage.redis = env.REDIS_URL
  if (env.DATA_DIR) storage.dataDir = env.DATA_DIR
  if (env.JWT_SECRET) auth.jwtSecret = env.JWT_SECRET
  if (env.API_KEYS) auth.apiKeys = env.API_KEYS.split(',').map((k) => k.trim()).filter(Boolean)
  if (env.LOG_LEVEL) out.log = { level: env.LOG_LEVEL }
  if (Object.keys(server).length) out.server = server
  if (Object.keys(storage).length) out.storage = storage
  if (Object.keys(auth).length) out.auth = auth
  return out
}

// Walks the schema and the value together, turning `x-unit` fields into numbers.
function normaliseUnits (schema: TSchema, value: unknown): unknown {
  if (schema['x-unit'] === 'duration') return parseDuration(value as number | string)
  if (schema['x-unit'] === 'size') return parseSize(value as number | string)
  if (isPlain(value) && schema.type === 'object') {
    for (const key of Object.keys(value)) {
      const child = schema.properties?.[key] ?? schema.patternProperties?.[Object.keys(schema.patternProperties)[0]]
      if (child) value[key] = normaliseUnits(child, value[key])
    }
  } else if (Array.isArray(value) && schema.items) {
    return value.map((item) => normaliseUnits(schema.items, item))
  }
  return value
}

// A key a mapping does not accept (a vhost without its slash, an object R as a Really model):
// the reason names it as written, since its JSON pointer escapes the slashes (`~1users~11~1`).
function refusedKey ({ type, path, schema }: ValueError): string {
  if (type !== ValueErrorType.ObjectAdditionalProperties || schema.patternProperties === undefined) return ''
  return `${path.slice(path.lastIndexOf('/') + 1).replaceAll('~1', '/').replaceAll('~0', '~')} refused: `
}

// TypeBox merges a mapping's default keys into the mapping a file gives. The built-in Really
// model (`/messages/`) is there for a first try only (issue 19): a file that lists its own
// models gets exactly those, so no deployment carries a demo collection it did not ask for.
function keepOwnModels (raw: Plain, value: Plain): void {
  const own = ((raw.protocols as Plain | undefined)?.really as Plain | undefined)?.models
  if (own === undefined) return
  ((value.protocols as Plain).really as Plain).models = structuredClone(own)
}

/** Validates a raw config (file + env already merged), fills defaults and resolves units. */
export function resolveConfig (raw: Plain): Config {
  const value = Value.Default(ConfigSchema, structuredClone(raw)) as Plain
  keepOwnModels(raw, value)
  const error = Value.Errors(ConfigSchema, value).First()
  if (error) {
    const unit = error.schema['x-unit']
    // TypeBox's own words for a union ("Expected union value") say nothing: such keys are
    // described (their `x-expected`, their allowed values, their alternatives).
    // Integers are described too, with their bounds (`PORT=-5`: from 0 to 65535).
    const described = error.schema['x-expected'] !== undefined || error.schema.anyOf !== undefined ||
      (error.schema.type === 'integer' && (error.schema.minimum !== undefined || error.schema.maximum !== undefined))
    const reason = unit === 'duration'
      ? 'expected milliseconds or a duration such as 300ms, 5s, 10m, 1h, 1d'
      : unit === 'size' ? 'expected bytes or a size such as 64kb, 1mb' : described ? `expected ${expectedOf(error.schema)}` : error.message
    throw new ConfigError(error.path, refusedKey(error) + reason)
  }
  const config = normaliseUnits(ConfigSchema, value) as Config
  const problem = accessProblem(config)
  if (problem) throw new ConfigError(problem.path, problem.reason)
  // A heartbeat as slow as the ttl lets every node expire between two beats.
  if (config.presence.heartbeat === 0 || config.presence.heartbeat >= config.presence.ttl) {
    throw new ConfigError('/presence/heartbeat', 'must be more than 0 and less than presence.ttl')
  }
  // The file's form ('*', a list or null) becomes the list the code reads.
  const server = config.server as Omit<Config['server'], 'allowedOrigins'> & { allowedOrigins: '*' | string[] | null }
  server.allowedOrigins = resolveAllowedOrigins(server.allowedOrigins, server.cors.origins)
  return config
}

export interface LoadOptions {
  file?: string
  env?: NodeJS.ProcessEnv
  overrides?: Plain
}

/** Config file, then environment, then explicit overrides (tests), validated. */
export function loadConfig ({ file, env = {}, overrides = {} }: LoadOptions = {}): Config {
  const fromFile = file ? readConfigFile(file) : {}
  return resolveConfig(deepMerge(deepMerge(fromFile, envOverrides(env)), overrides))
}
