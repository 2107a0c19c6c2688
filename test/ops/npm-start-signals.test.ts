import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { TEST_SECRET } from '../helpers/config.js'
import { WsClient } from '../helpers/ws-client.js'

// `docker stop` and process managers signal the process they started: with `npm start` that is
// npm, whose script shell must hand the signal on to the server (issue 18: `exec` in the script).
t.test('SIGTERM to `npm start` reaches the server: clients get 1001 and the server process exits', async (t) => {
  const dir = t.testdir({})
  const file = join(dir, 'config.yaml')
  writeFileSync(file, `storage:\n  database: "sqlite:${dir}/db.sqlite"\nauth:\n  jwtSecret: ${TEST_SECRET}\nusers: []\n`)
  const npm = spawn('npm', ['start', '--silent', '--', '--config', file], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  t.teardown(() => { if (npm.exitCode === null) npm.kill('SIGKILL') })
  // The server's pino lines carry its pid, which is not npm's.
  const listening = await new Promise<{ url: string, pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 90_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const line = output.split('\n').find((l) => l.includes('listening at http://127.0.0.1:'))
      if (line) {
        clearTimeout(timer)
        const { pid, msg } = JSON.parse(line) as { pid: number, msg: string }
        resolve({ pid, url: /http:\/\/[\d.:]+/.exec(msg)![0] })
      }
    }
    npm.stdout.on('data', onData)
    npm.stderr.on('data', onData)
  })
  t.teardown(() => { try { process.kill(listening.pid, 'SIGKILL') } catch { /* already gone */ } })
  t.not(listening.pid, npm.pid, 'the server runs in its own process')
  const client = await WsClient.connect(`${listening.url.replace('http', 'ws')}/webrocket/echo`)
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)))
  npm.kill('SIGTERM')
  t.equal((await client.closed(10_000)).code, 1001, 'the client was told the server is going away')
  t.equal(await exited, 0, 'npm exits once the server has')
  t.throws(() => process.kill(listening.pid, 0), { code: 'ESRCH' }, 'the server process is gone')
  t.match(output, /shutting down/)
})
