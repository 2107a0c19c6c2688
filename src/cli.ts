#!/usr/bin/env node
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { buildApp, socketChannels } from './app.js'
import { productionCautions } from './config/insecure-defaults.js'
import { loadConfig } from './config/load.js'
import { checkStartsUp } from './cli/config-check.js'
import { describeFailure, EXIT_CONFIG, UsageError } from './cli/failure.js'
import { readPassword, type PasswordSource } from './cli/password-input.js'
import { quietOnClosedPipe } from './cli/stdout.js'
import type { Config } from './config/schema.js'
import { parseDuration } from './config/units.js'
import { checkNarrowing } from './core/access/narrowing.js'
import { StartupFailure, SwitchboardError } from './core/errors.js'
import { createServices, type Services } from './core/services.js'
import { asyncApiDocument } from './http/docs/asyncapi/document.js'
import { asyncApiJson } from './http/docs/asyncapi/routes.js'
import { serve } from './serve.js'
import { version } from './version.js'

const usage = `usage: switchboard <command>
  serve [--config FILE]                         run the server
  user add NAME --password P [--email E] [--admin] [--role R]... [--config FILE]
  user list [--config FILE]
  user roles NAME [ROLE...] [--clear] [--config FILE]
                                                print a user's roles; with ROLEs (or --clear) replace them
  user passwd NAME [--config FILE]              set a user's password, read from stdin (or typed at a
                                                prompt); the user's tokens and connections end
  user disable NAME [--config FILE]             the user can no longer log in; its tokens and connections end
  user remove NAME [--config FILE]
  token NAME [--role R]... [--channel GLOB]... [--ttl DURATION] [--config FILE]
                                                print an access token for a user; --role and --channel
                                                narrow it (roles among the user's, resource globs); needs
                                                auth.jwtSecret (or JWT_SECRET), the server's secret
  openapi [--out FILE]                          print (or write) the OpenAPI document
  asyncapi [--out FILE]                         print (or write) the AsyncAPI document of the socket endpoints
  config check FILE                             run every check start-up runs on a config file (NODE_ENV=production:
                                                also refuse built-in passwords and a missing or short JWT secret,
                                                and warn about anonymous access left on allow and unsigned backend calls)

environment (overrides the config file):
  PORT, HOST            server.port, server.host
  DATABASE_URL          storage.database (sqlite:PATH, sqlite::memory:, postgres://…)
  REDIS_URL             storage.redis (redis://…)
  DATA_DIR              storage.dataDir
  JWT_SECRET            auth.jwtSecret
  API_KEYS              auth.apiKeys, comma-separated
  LOG_LEVEL             log.level; debug also prints the stack of a failure
  NODE_ENV=production   refuse built-in passwords and a missing or short JWT secret

exit codes: 0 done, 1 failed, 2 usage or configuration error`

const options = {
  config: { type: 'string' },
  password: { type: 'string' },
  email: { type: 'string' },
  admin: { type: 'boolean' },
  role: { type: 'string', multiple: true },
  channel: { type: 'string', multiple: true },
  ttl: { type: 'string' },
  clear: { type: 'boolean' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/** Config used to generate the OpenAPI document: defaults only, so the document never depends on a local file. */
export function openapiConfig (): Config {
  return loadConfig({ overrides: { storage: { database: 'sqlite::memory:' }, auth: { jwtSecret: 'openapi-generation-only-secret' }, log: { level: 'silent' }, users: [] } })
}

/**
 * The services a user or token command works on. Never in production mode: refusing built-in
 * passwords or a missing JWT secret is the server's business, not that of an admin adding a
 * user (`token` checks the secret it signs with itself).
 */
async function withServices<T> (config: Config, work: (services: Services) => Promise<T>): Promise<T> {
  const services = await createServices(config, pino({ level: 'warn' }, pino.destination(2)), { production: false })
  try {
    return await work(services)
  } finally {
    await services.close()
  }
}

function parseTtl (text: string): number {
  try {
    return parseDuration(text)
  } catch {
    throw new SwitchboardError('INVALID', `--ttl ${text}: expected a duration such as 90s, 10m, 1h`)
  }
}

/** Runs one command; resolves to the process exit code. */
export async function main (argv: string[], env: NodeJS.ProcessEnv = process.env, stdin: PasswordSource = process.stdin): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true })
  } catch (err) {
    console.error(`error: ${(err as Error).message}\n${usage}`)
    return EXIT_CONFIG
  }
  const { values, positionals: [command, ...rest] } = parsed
  if (values.help) {
    console.log(usage)
    return 0
  }
  if (!command) {
    console.error(`error: no command given\n${usage}`)
    return EXIT_CONFIG
  }
  try {
    const config = () => loadConfig({ file: values.config, env })
    const production = env.NODE_ENV === 'production'
    // `user` and `config` take a sub-command; the others take their argument directly.
    const grouped = command === 'user' || command === 'config'
    if (!grouped) rest.unshift('')
    switch (grouped ? `${command} ${rest[0] ?? ''}` : command) {
      case 'serve':
        await serve(config(), { production })
        return 0
      case 'config check': {
        if (!rest[1]) throw new UsageError('config check needs the FILE to check')
        // The file alone, except that production deployments pass the JWT secret in the environment.
        const checked = loadConfig({ file: rest[1], env: production ? { JWT_SECRET: env.JWT_SECRET } : {} })
        await checkStartsUp(checked, production)
        if (production) for (const caution of productionCautions(checked)) console.error(`warning: config ${caution.path}: ${caution.reason}`)
        console.log(`${rest[1]}: ok`)
        return 0
      }
      case 'user add': {
        if (!rest[1]) throw new UsageError('user add needs a NAME')
        if (!values.password) throw new UsageError('user add needs --password')
        const user = await withServices(config(), (s) => s.identity.create({ username: rest[1], password: values.password!, email: values.email ?? null, admin: values.admin ?? false, roles: values.role ?? [] }))
        console.log(`added ${user.username}${user.admin ? ' (admin)' : ''}${user.roles.length > 0 ? ` with roles ${user.roles.join(', ')}` : ''}`)
        return 0
      }
      case 'user list': {
        const users = await withServices(config(), (s) => s.identity.list())
        for (const u of users) console.log(`${u.username}\t${u.admin ? 'admin' : 'user'}\t${u.email ?? ''}\t${u.roles.join(',')}${u.disabled ? '\tdisabled' : ''}`)
        return 0
      }
      case 'user roles': {
        if (!rest[1]) throw new UsageError('user roles needs a NAME')
        const roles = rest.slice(2)
        const replace = roles.length > 0 || values.clear === true
        const user = await withServices(config(), (s) => replace ? s.identity.setRoles(rest[1], roles) : s.identity.find(rest[1]))
        if (!user) throw new SwitchboardError('NOT_FOUND', `no user ${rest[1]}`)
        console.log(`${user.username}: ${user.roles.length > 0 ? user.roles.join(' ') : '(no roles)'}${user.admin ? ' (admin: role admin too)' : ''}`)
        return 0
      }
      case 'user passwd': {
        if (!rest[1]) throw new UsageError('user passwd needs a NAME')
        const cfg = config()
        const password = await readPassword(stdin, process.stderr)
        if (password === '') throw new UsageError('no password given (pipe it in, or type it at the prompt)')
        const user = await withServices(cfg, (s) => s.identity.setPassword(rest[1], password))
        if (!user) throw new SwitchboardError('NOT_FOUND', `no user ${rest[1]}`)
        console.log(`password of ${user.username} changed; its tokens and connections ended`)
        return 0
      }
      case 'user disable': {
        if (!rest[1]) throw new UsageError('user disable needs a NAME')
        const user = await withServices(config(), (s) => s.identity.disable(rest[1]))
        if (!user) throw new SwitchboardError('NOT_FOUND', `no user ${rest[1]}`)
        console.log(`disabled ${user.username}; its tokens and connections ended`)
        return 0
      }
      case 'user remove': {
        if (!rest[1]) throw new UsageError('user remove needs a NAME')
        const removed = await withServices(config(), (s) => s.identity.remove(rest[1]))
        if (!removed) throw new SwitchboardError('NOT_FOUND', `no user ${rest[1]}`)
        console.log(`removed ${rest[1]}`)
        return 0
      }
      case 'token': {
        if (!rest[1]) throw new UsageError('token needs a NAME')
        const cfg = config()
        // Without the server's secret the token would be signed with a throwaway one: refused, not printed.
        if (!cfg.auth.jwtSecret) throw new StartupFailure('no JWT secret, so no server would accept the token: set the server\'s', '/auth/jwtSecret')
        const token = await withServices(cfg, async (s) => {
          const user = await s.identity.find(rest[1])
          if (!user) return null
          const narrowing = checkNarrowing(user, { roles: values.role, channels: values.channel, ttlMs: values.ttl === undefined ? undefined : parseTtl(values.ttl) }, s.tokens.accessTtlMs)
          return s.tokens.issueAccess(user, narrowing).token
        })
        if (!token) throw new SwitchboardError('NOT_FOUND', `no user ${rest[1]}`)
        console.log(token)
        return 0
      }
      case 'openapi': {
        // Built in memory for its routes only: never a server, so never refused as one.
        const app = await buildApp(openapiConfig(), { logger: false, production: false })
        await app.ready()
        const document = `${JSON.stringify(app.swagger(), null, 2)}\n`
        await app.close()
        if (values.out) writeFileSync(values.out, document)
        else process.stdout.write(document)
        return 0
      }
      case 'asyncapi': {
        // From the plugins' channel descriptions for the default config: no app needed.
        const document = asyncApiJson(asyncApiDocument(socketChannels(openapiConfig().protocols), { version }))
        if (values.out) writeFileSync(values.out, document)
        else process.stdout.write(document)
        return 0
      }
    }
    throw new UsageError(!grouped ? `unknown command ${command}` : rest[0] ? `unknown command ${command} ${rest[0]}` : `${command} needs a sub-command`)
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`error: ${err.message}\n${usage}`)
      return EXIT_CONFIG
    }
    const failure = describeFailure(err, env)
    for (const line of failure.lines) console.error(line)
    return failure.code
  }
}

// Run when executed directly (bin or `node dist/src/cli.js`), not when imported.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\//, '/'))) {
  quietOnClosedPipe(process.stdout)
  process.exitCode = await main(process.argv.slice(2))
}
