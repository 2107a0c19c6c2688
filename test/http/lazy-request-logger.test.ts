import { Writable } from 'node:stream'
import Fastify from 'fastify'
import pino from 'pino'
import t from 'tap'
import { requestLogger } from '../../src/http/lazy-request-logger.js'

function capture (level: string) {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString())); done() } })
  return { lines, logger: pino({ level }, stream) }
}

t.test('a request logger becomes a pino child only when a line is logged at an enabled level', async (t) => {
  const { lines, logger } = capture('warn')
  let children = 0
  const child = logger.child
  // Counts children made of `logger` itself; the children inherit the original method.
  logger.child = function (this: typeof logger, ...args: Parameters<typeof child>) {
    if (this === logger) children++
    return child.apply(this, args)
  } as typeof logger.child
  const log = requestLogger(logger, { reqId: 'r1' }, {})
  log.info({ a: 1 }, 'below the level')
  log.debug('below')
  log.trace('below')
  log.silent('never')
  t.equal(children, 0, 'nothing logged, no child made')
  t.equal(log.level, 'warn', 'the level is the parent\'s')
  log.warn({ a: 1 }, 'kept')
  log.error('kept too')
  log.fatal('and this')
  t.equal(children, 1, 'one child, made once')
  t.match(lines, [{ reqId: 'r1', a: 1, msg: 'kept', level: 40 }, { reqId: 'r1', msg: 'kept too', level: 50 }, { reqId: 'r1', msg: 'and this', level: 60 }])

  const quiet = requestLogger(logger, { reqId: 'r2' }, {})
  quiet.level = 'debug'
  quiet.debug('now enabled')
  t.match(lines.at(-1), { reqId: 'r2', msg: 'now enabled', level: 20 }, 'a level set on it applies to it alone')
  t.equal(logger.level, 'warn')
  quiet.child({ step: 'x' }).warn('nested')
  t.match(lines.at(-1), { reqId: 'r2', step: 'x', msg: 'nested' })
})

t.test('a route level or serializers get a real child at once', async (t) => {
  const { logger } = capture('warn')
  const withLevel = requestLogger(logger, { reqId: 'r3' }, { level: 'info' })
  t.equal(typeof (withLevel as unknown as { isLevelEnabled?: unknown }).isLevelEnabled, 'function', 'a pino child')
  t.equal(withLevel.level, 'info')
})

t.test('Fastify request logs carry the request id, and only at enabled levels', async (t) => {
  const { lines, logger } = capture('warn')
  const app = Fastify({ loggerInstance: logger, childLoggerFactory: requestLogger, disableRequestLogging: true })
  t.teardown(() => app.close())
  app.get('/', async (request) => {
    request.log.info('not shown')
    request.log.warn({ route: '/' }, 'shown')
    return { ok: true }
  })
  const response = await app.inject({ method: 'GET', url: '/' })
  t.equal(response.statusCode, 200)
  t.match(lines, [{ reqId: String, route: '/', msg: 'shown' }])
  t.equal(lines.length, 1)
})
