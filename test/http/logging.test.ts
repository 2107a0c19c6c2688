import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import t from 'tap'
import { loggerOptions, prettyTransport } from '../../src/http/logging.js'
import { testConfig } from '../helpers/config.js'
import { eventually } from '../helpers/ws-client.js'

const config = testConfig({ log: { level: 'info' } })

// What must never reach the log, in the places pino's redaction and the req serializer cover.
function logSecrets (logger: pino.Logger): void {
  logger.info({
    req: { method: 'GET', url: '/v0.1/socket?access_token=query-secret&x=1', ip: '10.0.0.1', headers: { authorization: 'Bearer header-secret' } },
    user: { name: 'ann', password: 'password-secret' },
    auth: { jwtSecret: 'jwt-secret-value', token: 'token-secret' },
  }, 'a line with secrets')
}

const SECRETS = /query-secret|header-secret|password-secret|jwt-secret-value|token-secret/

t.test('a terminal gets pino-pretty lines, anything else JSON', async (t) => {
  t.match(prettyTransport({ isTTY: true }), { target: 'pino-pretty' })
  t.equal(prettyTransport({ isTTY: false }), undefined)
  t.equal(prettyTransport({}), undefined, 'a pipe or a file has no isTTY')
  t.match(loggerOptions(config, { isTTY: true }), { level: 'info', transport: { target: 'pino-pretty' } })
  t.equal(loggerOptions(config, { isTTY: false }).transport, undefined)
})

t.test('JSON lines are redacted', async (t) => {
  let out = ''
  const stream = new Writable({ write (chunk: Buffer, _e, done) { out += chunk.toString(); done() } })
  const { transport: _none, ...options } = loggerOptions(config, { isTTY: false }) as pino.LoggerOptions
  logSecrets(pino(options, stream))
  const line = JSON.parse(out)
  t.match(line, { msg: 'a line with secrets', req: { url: '/v0.1/socket?access_token=[Redacted]&x=1', remoteAddress: '10.0.0.1' }, user: { name: 'ann', password: '[Redacted]' } })
  t.notMatch(out, SECRETS)
})

t.test('pretty lines, written by the real pino-pretty transport, are redacted too', async (t) => {
  const file = join(t.testdir({}), 'pretty.log')
  const { transport: pretty, ...options } = loggerOptions(config, { isTTY: true }) as pino.LoggerOptions & { transport: { target: string, options: object } }
  // The same transport, written to a file instead of the terminal.
  const transport = pino.transport({ target: pretty.target, options: { ...pretty.options, destination: file, colorize: false } })
  t.teardown(() => transport.end())
  logSecrets(pino(options, transport))
  // The worker thread writes when it gets to it (and holds no handle of this event loop): polled, bounded.
  const written = () => existsSync(file) && /a line with secrets[^]*token/.test(readFileSync(file, 'utf8'))
  await eventually(written, 5000, 'the pretty line written')
  const out = readFileSync(file, 'utf8')
  t.match(out, /INFO.*a line with secrets/, 'human-readable')
  t.throws(() => JSON.parse(out), 'not JSON')
  t.match(out, /\[Redacted\]/)
  t.notMatch(out, SECRETS)
})
