import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { request, startApp } from '../helpers/app.js'
import { run } from '../helpers/cli.js'
import { TEST_PASSWORD_COST, TEST_SECRET } from '../helpers/config.js'
import { REDIS_URL, redisPrefix } from '../helpers/infra.js'
import { connected, telegraphyOverrides } from '../plugins/telegraphy/helpers.js'

// The CLI an operator meets (issue 18): reasons on usage errors, the environment in --help,
// passwd and disable, a token only when a server would accept it, quiet on a closed pipe.
function configFile (t: Test, { secret, redis }: { secret?: string, redis?: { url: string, prefix: string } } = {}) {
  const dir = t.testdir({})
  const file = join(dir, 'config.yaml')
  const database = join(dir, 'db.sqlite')
  const shared = redis ? `  redis: ${redis.url}\n  redisPrefix: "${redis.prefix}"\n` : ''
  writeFileSync(file, `storage:\n  database: "sqlite:${database}"\n${shared}auth:\n  passwordHashing: { cost: ${TEST_PASSWORD_COST} }\n${secret ? `  jwtSecret: ${secret}\n` : ''}users: []\nlog:\n  level: silent\n`)
  return { file, database }
}

t.test('usage errors say why; --help lists the environment variables', async (t) => {
  const cases: Array<[string[], string]> = [
    [[], 'error: no command given'],
    [['frobnicate'], 'error: unknown command frobnicate'],
    [['user'], 'error: user needs a sub-command'],
    [['user', 'frob'], 'error: unknown command user frob'],
    [['user', 'add'], 'error: user add needs a NAME'],
    [['user', 'add', 'x'], 'error: user add needs --password'],
    [['user', 'passwd'], 'error: user passwd needs a NAME'],
    [['user', 'disable'], 'error: user disable needs a NAME'],
    [['user', 'remove'], 'error: user remove needs a NAME'],
    [['user', 'roles'], 'error: user roles needs a NAME'],
    [['token'], 'error: token needs a NAME'],
    [['config', 'check'], 'error: config check needs the FILE to check'],
    [['--bogus'], "error: Unknown option '--bogus'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- \"--bogus\""],
  ]
  for (const [args, reason] of cases) {
    const result = await run(args)
    t.equal(result.code, 2, args.join(' '))
    t.equal(result.err.split('\n')[0], reason, args.join(' '))
    t.match(result.err, /usage: switchboard/)
  }
  const help = await run(['--help'])
  t.equal(help.code, 0)
  for (const variable of ['PORT, HOST', 'DATABASE_URL', 'REDIS_URL', 'DATA_DIR', 'JWT_SECRET', 'API_KEYS', 'LOG_LEVEL', 'NODE_ENV']) t.match(help.out, new RegExp(`\\n  ${variable}`), variable)
})

t.test('user passwd reads the password from stdin; the old one stops working', async (t) => {
  const { file, database } = configFile(t, { secret: TEST_SECRET })
  t.equal((await run(['user', 'add', 'erin', '--password', 'old-password', '--config', file])).code, 0)
  const changed = await run(['user', 'passwd', 'erin', '--config', file], {}, 'new-password\n')
  t.equal(changed.code, 0)
  t.match(changed.out, 'password of erin changed')
  t.equal(changed.err, '', 'no warnings')
  const { app } = await startApp(t, { storage: { database: `sqlite:${database}` }, users: [] })
  t.ok(await app.services.identity.verify('erin', 'new-password'))
  t.notOk(await app.services.identity.verify('erin', 'old-password'))
  await app.close()
  const empty = await run(['user', 'passwd', 'erin', '--config', file], {}, '\n')
  t.equal(empty.code, 2)
  t.match(empty.err, 'error: no password given')
  const nobody = await run(['user', 'passwd', 'nobody', '--config', file], {}, 'pw\n')
  t.equal(nobody.code, 1)
  t.equal(nobody.err, 'error: no user nobody')
})

t.test('user passwd at a terminal: a prompt, nothing echoed', { skip: process.platform !== 'linux' && 'needs util-linux script(1)' }, async (t) => {
  const { file, database } = configFile(t)
  t.equal((await run(['user', 'add', 'fay', '--password', 'old-password', '--config', file])).code, 0)
  // script(1) gives the CLI a pseudo-terminal, as an operator's shell would.
  const child = spawn('script', ['-qec', `${process.execPath} dist/src/cli.js user passwd fay --config ${file}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const prompted = new Promise<void>((resolve) => child.stdout.on('data', () => { if (output.includes('new password: ')) resolve() }))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  await prompted
  child.stdin.write('typed-pass\u007fs\r')
  t.equal(await exited, 0)
  t.notMatch(output, /typed-pass/, 'not echoed')
  t.match(output, 'password of fay changed')
  const { app } = await startApp(t, { storage: { database: `sqlite:${database}` }, users: [] })
  t.ok(await app.services.identity.verify('fay', 'typed-pas' + 's'), 'backspace taken into account')
})

t.test('user disable: no more logins, and the running server closes its connections', async (t) => {
  const prefix = redisPrefix(t)
  const { file, database } = configFile(t, { secret: TEST_SECRET, redis: { url: REDIS_URL, prefix } })
  const { url, wsUrl } = await startApp(t, { ...telegraphyOverrides(), storage: { database: `sqlite:${database}`, redis: REDIS_URL, redisPrefix: prefix }, users: [] })
  t.equal((await run(['user', 'add', 'gus', '--password', 'gus-password', '--config', file])).code, 0)
  const gus = { username: 'gus', password: 'gus-password' }
  const session = await connected(url, wsUrl, { user: gus })
  const disabled = await run(['user', 'disable', 'gus', '--config', file])
  t.equal(disabled.code, 0)
  t.match(disabled.out, 'disabled gus')
  await session.client.closed(5000)
  t.equal((await request(url, 'POST', '/api/auth/login', { body: gus })).status, 401, 'cannot log in')
  t.match((await run(['user', 'list', '--config', file])).out, /gus\tuser\t\t\tdisabled/)
  t.equal((await run(['user', 'disable', 'nobody', '--config', file])).code, 1)
})

t.test('token refuses to sign with a throwaway secret', async (t) => {
  const { file } = configFile(t)
  t.equal((await run(['user', 'add', 'hal', '--password', 'pw', '--config', file])).code, 0)
  const refused = await run(['token', 'hal', '--config', file])
  t.equal(refused.code, 1)
  t.equal(refused.out, '', 'nothing printed to use')
  t.equal(refused.err, 'error: no JWT secret, so no server would accept the token: set the server\'s (/auth/jwtSecret)')
  const fromEnv = await run(['token', 'hal', '--config', file], { JWT_SECRET: TEST_SECRET })
  t.equal(fromEnv.code, 0)
  t.match(fromEnv.out, /^ey/)
})

t.test('switchboard openapi | head -1 exits 0 quietly', async (t) => {
  const child = spawn(process.execPath, ['dist/src/cli.js', 'openapi'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  // The reader takes its first chunk and goes, as head does.
  child.stdout.once('data', () => child.stdout.destroy())
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  t.equal(code, 0)
  t.equal(err, '')
})

t.test('a closed pipe on stdout is exit 0; another write failure is exit 1', async (t) => {
  const { PassThrough } = await import('node:stream')
  const { quietOnClosedPipe } = await import('../../src/cli/stdout.js')
  const codes: number[] = []
  const stream = new PassThrough() as unknown as NodeJS.WriteStream
  quietOnClosedPipe(stream, (code) => codes.push(code))
  stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
  stream.emit('error', Object.assign(new Error('no space'), { code: 'ENOSPC' }))
  t.same(codes, [0, 1])
})
