import { insecureSettings, productionCautions } from '../config/insecure-defaults.js'
import type { Config } from '../config/schema.js'
import { databaseUrl } from '../core/services.js'
import { tryItLines } from './try-it.js'

/** One line of the start-up banner; warnings are logged at warn level. */
export interface BannerLine {
  level: 'info' | 'warn'
  text: string
}

/** Where the server listens, as `server.address()` reports it. */
export interface ListeningAddress {
  address: string
  port: number
}

export interface BannerOptions {
  /** Production refused the insecure defaults already; it is warned about its cautions instead. */
  production: boolean
  version: string
}

const WILDCARDS = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0'])

function hostOf (address: string): string {
  return address.includes(':') ? `[${address}]` : address
}

// A URL's host, port and path without its credentials, or null when it does not parse.
function withoutCredentials (url: string): string | null {
  try {
    const { hostname, port, pathname } = new URL(url)
    return `${hostname}${port === '' ? '' : `:${port}`}${pathname.replace(/^\/$/, '')}`
  } catch {
    return null
  }
}

function database (config: Config): string {
  const url = databaseUrl(config)
  if (url === 'sqlite::memory:') return 'SQLite in memory (nothing is kept)'
  if (url.startsWith('sqlite:')) return `SQLite file ${url.slice('sqlite:'.length)}`
  return `PostgreSQL at ${withoutCredentials(url) ?? '(an address that does not parse)'}`
}

function sharedState (config: Config): string {
  const url = config.storage.redis
  if (url === null) return 'in-process pub/sub and state (one node)'
  return `Redis at ${withoutCredentials(url) ?? '(an address that does not parse)'}${url.startsWith('rediss:') ? ' (TLS)' : ''}`
}

function protocols (config: Config, ws: string, http: string): string[] {
  const { syscache, webrocket, telegraphy, really, das } = config.protocols
  const lines: string[] = []
  if (syscache.enabled) lines.push(`syscache ${ws}${syscache.path}`)
  if (webrocket.enabled) {
    const vhosts = Object.keys(webrocket.vhosts)
    lines.push(`webrocket ${ws}${webrocket.prefix}/{vhost}${vhosts.length > 0 ? ` (configured: ${vhosts.join(', ')})` : ''}`)
  }
  if (telegraphy.enabled) lines.push(`telegraphy ${ws}${telegraphy.path}`)
  if (really.enabled) lines.push(`really ${really.versions.map((v) => `${ws}${really.prefix}/${v}/socket`).join(', ')}`)
  if (das.enabled) lines.push(`das Socket.IO ${http}${das.path}/ namespace ${das.namespace}`)
  return lines.map((line) => `protocol ${line}`)
}

/**
 * The start-up banner (issue 17): where the server listens, its docs, its protocols and their
 * endpoints, its storage, outside production how to try each protocol with the built-in
 * credentials (`try-it.ts`), and a warning per built-in credential still in use (or, in
 * production, per setting to review). A function of the config alone, printed once by `serve`:
 * no configured secret is read into it (only the schema's own demo credentials, while still in
 * use), and URLs lose their user and password.
 */
export function startupBanner (config: Config, listening: ListeningAddress, { production, version }: BannerOptions): BannerLine[] {
  const wildcard = WILDCARDS.has(listening.address)
  // A wildcard address is no place to browse to: the docs are shown on localhost.
  const host = `${wildcard ? 'localhost' : hostOf(listening.address)}:${listening.port}`
  const lines: BannerLine[] = [
    { level: 'info', text: `Switchboard ${version} listening on http://${hostOf(listening.address)}:${listening.port}${wildcard ? ' (every interface)' : ''}` },
    { level: 'info', text: `API docs: http://${host}/docs` },
    ...protocols(config, `ws://${host}`, `http://${host}`).map((text) => ({ level: 'info' as const, text })),
    { level: 'info', text: `storage: ${database(config)}; ${sharedState(config)}` },
  ]
  const warnings = production ? productionCautions(config) : insecureSettings(config)
  for (const { path, reason } of warnings) lines.push({ level: 'warn', text: `${production ? 'review before production' : 'insecure default'}: ${path}: ${reason}` })
  // Last, where a newcomer looks first. Never in production: they name the built-in passwords,
  // which production refuses anyway.
  if (!production) for (const text of tryItLines(config, `ws://${host}`)) lines.push({ level: 'info', text })
  return lines
}

/** Writes the banner, one log line per banner line. */
export function logBanner (log: { info (msg: string): void, warn (msg: string): void }, lines: readonly BannerLine[]): void {
  for (const { level, text } of lines) log[level](text)
}
