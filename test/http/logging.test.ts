import { createRequire } from 'node:module'
import { Writable } from 'node:stream'
import pino from 'pino'
import pretty from 'pino-pretty'
import t from 'tap'
import { loggerOptions, prettyTransport } from '../../src/http/logging.js'
import { testConfig } from '../helpers/config.js'

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

t.test('pretty lines, written by pino-pretty with the transport\'s options, are redacted too', async (t) => {
  const { transport, ...options } = loggerOptions(config, { isTTY: true }) as pino.LoggerOptions & { transport: { target: string, options: object } }
  t.ok(createRequire(import.meta.url).resolve(transport.target), 'the transport\'s target is installed')
  // pino-pretty in this thread (the transport runs it in a worker, whose start-up is slow and
  // unbounded on a loaded machine): the same options, the same redaction before it.
  let out = ''
  const destination = new Writable({ write (chunk: Buffer, _e, done) { out += chunk.toString(); done() } })
  logSecrets(pino(options, pretty({ ...transport.options, colorize: false, sync: true, destination })))
  t.match(out, /INFO.*a line with secrets/, 'human-readable')
  t.throws(() => JSON.parse(out), 'not JSON')
  t.match(out, /access_token=\[Redacted\]/)
  t.match(out, /"password": "\[Redacted\]"/)
  t.notMatch(out, SECRETS)
})
