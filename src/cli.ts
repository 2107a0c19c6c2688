#!/usr/bin/env node
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { buildApp } from './app.js'
import { productionCautions } from './config/insecure-defaults.js'
import { loadConfig } from './config/load.js'
import { checkStartsUp } from './cli/config-check.js'
import { describeFailure } from './cli/failure.js'
import type { Config } from './config/schema.js'
import { parseDuration } from './config/units.js'
import { checkNarrowing } from './core/access/narrowing.js'
import { SwitchboardError } from './core/errors.js'
import { createServices, type Services } from './core/services.js'
import { serve } from './serve.js'

const usage = `usage: switchboard <command>
  serve [--config FILE]                         run the server
  user add NAME --password P [--email E] [--admin] [--role R]... [--config FILE]
  user list [--config FILE]
  user roles NAME [ROLE...] [--clear] [--config FILE]
                                                print a user's roles; with ROLEs (or --clear) replace them
  user remove NAME [--config FILE]
  token NAME [--role R]... [--channel GLOB]... [--ttl DURATION] [--config FILE]
                                                print an access token for a user; --role and --channel
                                                narrow it (roles among the user's, resource globs)
  openapi [--out FILE]                          print (or write) the OpenAPI document
  config check FILE                             validate a config file (NODE_ENV=production:
                                                also refuse built-in passwords and a missing or short JWT secret,
                                                and warn about anonymous access left on allow and unsigned backend calls)`

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

async function withServices<T> (config: Config, production: boolean, work: (services: Services) => Promise<T>): Promise<T> {
  const services = await createServices(config, pino({ level: 'warn' }, pino.destination(2)), { production })
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
export async function main (argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true })
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`)
    return 2
  }
  const { values, positionals: [command, ...rest] } = parsed
  if (values.help || !command) {
    console.log(usage)
    return command || values.help ? 0 : 2
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
        if (!rest[1]) break
        // The file alone, except that production deployments pass the JWT secret in the environment.
        const checked = loadConfig({ file: rest[1], env: production ? { JWT_SECRET: env.JWT_SECRET } : {} })
        await checkStartsUp(checked, production)
        if (production) for (const caution of productionCautions(checked)) console.error(`warning: config ${caution.path}: ${caution.reason}`)
        console.log(`${rest[1]}: ok`)
        return 0
      }
      case 'user add': {
        if (!rest[1] || !values.password) break
        const user = await withServices(config(), production, (s) => s.identity.create({ username: rest[1], password: values.password!, email: values.email ?? null, admin: values.admin ?? false, roles: values.role ?? [] }))
        console.log(`added ${user.username}${user.admin ? ' (admin)' : ''}${user.roles.length > 0 ? ` with roles ${user.roles.join(', ')}` : ''}`)
        return 0
      }
      case 'user list': {
        const users = await withServices(config(), production, (s) => s.identity.list())
        for (const u of users) console.log(`${u.username}\t${u.admin ? 'admin' : 'user'}\t${u.email ?? ''}\t${u.roles.join(',')}${u.disabled ? '\tdisabled' : ''}`)
        return 0
      }
      case 'user roles': {
        if (!rest[1]) break
        const roles = rest.slice(2)
        const replace = roles.length > 0 || values.clear === true
        const user = await withServices(config(), production, (s) => replace ? s.identity.setRoles(rest[1], roles) : s.identity.find(rest[1]))
        if (!user) {
          console.error(`no user ${rest[1]}`)
          return 1
        }
        console.log(`${user.username}: ${user.roles.length > 0 ? user.roles.join(' ') : '(no roles)'}${user.admin ? ' (admin: role admin too)' : ''}`)
        return 0
      }
      case 'user remove': {
        if (!rest[1]) break
        const removed = await withServices(config(), production, (s) => s.identity.remove(rest[1]))
        if (!removed) {
          console.error(`no user ${rest[1]}`)
          return 1
        }
        console.log(`removed ${rest[1]}`)
        return 0
      }
      case 'token': {
        if (!rest[1]) break
        const cfg = config()
        if (!cfg.auth.jwtSecret) console.error('warning: auth.jwtSecret is not set, so no server will accept this token')
        const token = await withServices(cfg, production, async (s) => {
          const user = await s.identity.find(rest[1])
          if (!user) return null
          const narrowing = checkNarrowing(user, { roles: values.role, channels: values.channel, ttlMs: values.ttl === undefined ? undefined : parseTtl(values.ttl) }, s.tokens.accessTtlMs)
          return s.tokens.issueAccess(user, narrowing).token
        })
        if (!token) {
          console.error(`no user ${rest[1]}`)
          return 1
        }
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
    }
    console.error(usage)
    return 2
  } catch (err) {
    const failure = describeFailure(err, env)
    for (const line of failure.lines) console.error(line)
    return failure.code
  }
}

// Run when executed directly (bin or `node dist/src/cli.js`), not when imported.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\//, '/'))) {
  process.exitCode = await main(process.argv.slice(2))
}
