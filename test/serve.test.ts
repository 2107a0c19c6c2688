import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { TEST_SECRET } from './helpers/config.js'

// Runs the real process entry (src/server.ts) with the same TypeScript loader as this test.
function startServer (t: { teardown (fn: () => unknown): void }, configFile: string, nodeEnv = 'test') {
  const child = spawn(process.execPath, [...process.execArgv, 'src/server.ts', '--config', configFile], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_ENV: nodeEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let output = ''
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000)
    timer.unref()
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match) { clearTimeout(timer); resolve(match[1]) }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
  })
  // A test that expects start-up to fail never awaits `listening`.
  listening.catch(() => {})
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, listening, exited, output: () => output }
}

t.test('the server starts from a config file, logs without secrets, and stops cleanly on SIGTERM', async (t) => {
  const dir = t.testdir({})
  const file = join(dir, 'config.yaml')
  writeFileSync(file, `storage:\n  database: "sqlite:${dir}/db.sqlite"\nauth:\n  jwtSecret: ${TEST_SECRET}\n`)
  const server = startServer(t, file)
  const url = await server.listening
  const health = await fetch(`${url}/health?access_token=very-secret-value`)
  t.equal(health.status, 200)
  const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer hidden-header-token' }, body: JSON.stringify({ username: 'admin', password: 'change-me' }) })
  t.equal(login.status, 200)
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)
  const log = server.output()
  t.match(log, /access_token=\[Redacted\]/)
  t.notMatch(log, /very-secret-value/)
  t.notMatch(log, /hidden-header-token/)
  // The banner's try lines name the built-in password (outside production, issue 19); nothing else may.
  t.notMatch(log.split('\n').filter((line) => !line.includes('"msg":"try ')).join('\n'), /change-me/)
  t.match(log, /"msg":"try REST: POST \/api\/auth\/login \{\\"username\\":\\"admin\\",\\"password\\":\\"change-me\\"\}"/)
  t.match(log, /shutting down/)
  // The built-in admin and WebRocket passwords and a 31-byte secret: started, with one warning naming all three.
  const warnings = log.split('\n').filter((line) => line.includes('insecure defaults in use'))
  t.equal(warnings.length, 1, 'one warning')
  t.same(JSON.parse(warnings[0]).insecure.map((s: string) => s.replace(/:.*/, '')), ['/auth/jwtSecret', '/users/0/password', '/protocols/webrocket/vhosts/~1echo/users/0/secret'])
})

t.test('with NODE_ENV=production the same config is refused: exit code 2, one line, no stack trace', async (t) => {
  const dir = t.testdir({})
  const file = join(dir, 'config.yaml')
  writeFileSync(file, `storage:\n  database: "sqlite:${dir}/db.sqlite"\nauth:\n  jwtSecret: ${TEST_SECRET}\n`)
  const server = startServer(t, file, 'production')
  t.equal(await server.exited, 2)
  t.equal(server.output().trim(), 'error: invalid config: 31 bytes; at least 32 are needed; refused with NODE_ENV=production (also /users/0/password, /protocols/webrocket/vhosts/~1echo/users/0/secret) (/auth/jwtSecret)')
})
