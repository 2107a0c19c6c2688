import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { buildOnce } from '../cluster/harness.js'
import { postgresUrl, REDIS_URL, redisPrefix } from '../helpers/infra.js'
import { version } from '../../src/version.js'

const root = new URL('../../', import.meta.url).pathname

// Secrets of every kind the config and the environment hold: none may reach the output.
const SECRETS = {
  jwt: 'banner-test-jwt-secret-of-enough-length',
  user: 'banner-user-password',
  vhost: 'banner-vhost-secret',
  apiKey: 'banner-api-key',
  postgres: 'banner-pg-password',
  redis: 'banner-redis-password',
}

t.test('the built server prints the banner once it listens: storage by host, no secret', async (t) => {
  buildOnce()
  const dir = t.testdir({})
  const file = join(dir, 'config.yaml')
  writeFileSync(file, [
    `auth: { apiKeys: [${SECRETS.apiKey}] }`,
    `users: [ { username: ops, password: ${SECRETS.user}, admin: true } ]`,
    // joe keeps the built-in secret: the banner warns about it, without it.
    `protocols: { webrocket: { vhosts: { /echo: { users: [ { name: ann, secret: ${SECRETS.vhost}, permissions: [READ] }, { name: joe, secret: s3cret, permissions: [READ] } ] } } } }`,
    `storage: { redisPrefix: "${redisPrefix(t)}" }`,
  ].join('\n'))
  // PostgreSQL trusts local clients and Redis asks for no password: both are given one anyway.
  const database = new URL(await postgresUrl(t))
  database.password = SECRETS.postgres
  const redis = new URL(REDIS_URL)
  redis.password = SECRETS.redis
  const child = spawn(process.execPath, [join(root, 'dist/src/server.js'), '--config', file], {
    cwd: dir,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_ENV: 'test', JWT_SECRET: SECRETS.jwt, DATABASE_URL: database.href, REDIS_URL: redis.href },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let output = ''
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  // The banner's storage line comes after its protocol lines; its warnings right after it.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner:\n${output}`)), 60_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (/"msg":"storage: [^\n]*\n[^\n]*insecure default: [^\n]*\n/.test(output)) { clearTimeout(timer); resolve() }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', () => { clearTimeout(timer); reject(new Error(`exited:\n${output}`)) })
  })
  child.kill('SIGTERM')
  t.equal(await exited, 0)

  const lines = output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: number, msg: string })
  const first = lines.findIndex((line) => line.msg.startsWith(`Switchboard ${version} listening on http://127.0.0.1:`))
  t.ok(first >= 0, 'the listening line')
  const url = /http:\/\/\S+/.exec(lines[first].msg)![0]
  const ws = url.replace('http', 'ws')
  t.same(lines.slice(first + 1, first + 8).map((line) => line.msg), [
    `API docs: ${url}/docs`,
    `protocol syscache ${ws}/syscache`,
    `protocol webrocket ${ws}/webrocket/{vhost} (configured: /echo)`,
    `protocol telegraphy ${ws}/telegraphy`,
    `protocol really ${ws}/v0.1/socket`,
    `protocol das Socket.IO ${url}/socket.io/ namespace /das`,
    `storage: PostgreSQL at 127.0.0.1:5432${database.pathname}; Redis at ${redis.host}`,
  ])
  t.same(lines.filter((line) => line.msg.startsWith('insecure default: ')).map((line) => [line.level, line.msg]), [
    [40, 'insecure default: /protocols/webrocket/vhosts/~1echo/users/1/secret: WebRocket user joe of /echo has a built-in default secret'],
  ], 'one warning per built-in credential, at warn')
  // Outside production the built-in secret is shown once, as the credential to try (issue 19).
  t.same(lines.filter((line) => line.msg.includes('s3cret')).map((line) => line.msg), [`try webrocket: authenticate {"user":"joe","secret":"s3cret"} on ${ws}/webrocket/echo`])
  t.notOk(lines.some((line) => line.msg.startsWith('try ') && line.msg.includes('ops')), 'ops has its own password: not an example')
  t.equal(lines.filter((line) => line.msg.includes(' listening on ')).length, 1, 'printed once')
  for (const [what, secret] of Object.entries(SECRETS)) t.notOk(output.includes(secret), `the ${what} secret is not in the output`)
})
