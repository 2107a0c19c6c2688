import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import t from 'tap'
import { AuthorizeHook, type HookQuestion } from '../../../src/core/access/authorize-hook.js'
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../../../src/core/backend/signature.js'
import { accessNode, anonymous, attempt, user } from './fixtures.js'

const SECRET = 'a-backend-secret-of-32-bytes-!!!'
interface TestLike { teardown (fn: () => unknown): void }

interface Asked { body: HookQuestion, signed: boolean }

/** A backend answering the hook with `answer(question)`, verifying every call's signature. */
async function hookBackend (t: TestLike, answer: (question: HookQuestion, res: ServerResponse) => void) {
  const asked: Asked[] = []
  const server = createServer((req: IncomingMessage, res) => {
    let raw = ''
    req.on('data', (chunk) => { raw += chunk })
    req.on('end', () => {
      const signed = verifySignature(SECRET, req.headers[TIMESTAMP_HEADER] as string | undefined, raw, req.headers[SIGNATURE_HEADER] as string | undefined)
      const body = JSON.parse(raw) as HookQuestion
      asked.push({ body, signed })
      answer(body, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => {
    server.closeAllConnections()
    server.close(resolve)
  }))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/authorize`, asked }
}

const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))

function hook (url: string, failures: string[], options: { now?: () => number, timeoutMs?: number, cacheTtlMs?: number, secret?: string | null } = {}) {
  return new AuthorizeHook({
    url,
    secret: options.secret === undefined ? SECRET : options.secret,
    timeoutMs: options.timeoutMs ?? 2000,
    cacheTtlMs: options.cacheTtlMs ?? 5000,
    onFailure: (question, reason) => failures.push(`${question.resource}: ${reason}`),
    now: options.now,
  })
}

t.test('the hook decides what no rule matched; rules decide the rest without asking', async (t) => {
  const backend = await hookBackend(t, (q, res) => json(res, 200, { allow: q.resource.startsWith('yes.') }))
  const failures: string[] = []
  const { authorizer, identity } = await accessNode(t, {
    defaults: { telegraphy: 'allow' },
    rules: [{ protocol: 'telegraphy', resource: 'ops.*', actions: ['subscribe'], allow: ['role:ops'] }],
  }, hook(backend.url, failures))
  await identity.create({ username: 'kim', password: 'pw', roles: ['ops', 'audit'] })

  t.equal(authorizer.restricted('das'), true, 'with a hook every protocol is asked')
  const allowed = authorizer.authorize({ protocol: 'telegraphy', action: 'subscribe', resource: 'yes.1', principal: user('kim', { roles: ['ops'] }), connectionId: 'conn-9' })
  t.type(allowed, Promise, 'asking the hook is asynchronous')
  t.equal(await allowed, true)
  t.same(backend.asked, [{ body: { protocol: 'telegraphy', action: 'subscribe', resource: 'yes.1', user: 'kim', roles: ['ops'], connectionId: 'conn-9' }, signed: true }],
    'the question as documented, signed with backend.secret; roles are those in force')
  t.equal(await authorizer.authorize(attempt('telegraphy', 'subscribe', 'no.1', anonymous)), false, '{"allow": false} denies')
  t.equal(backend.asked[1].body.user, null, 'anonymous: user null')
  t.equal(authorizer.authorize(attempt('telegraphy', 'subscribe', 'ops.x', user('kim'))), true, 'a rule matched: no question')
  t.equal(authorizer.authorize(attempt('telegraphy', 'subscribe', 'ops.x', anonymous)), false, 'a rule matched: denied without asking')
  t.equal(backend.asked.length, 2)
  t.same(failures, [])
})

t.test('anything but 2xx {"allow": true} denies; failures are reported and not remembered', async (t) => {
  const backend = await hookBackend(t, (q, res) => {
    switch (q.resource) {
      case 'truthy': return json(res, 200, { allow: 'yes' })
      case 'forbidden': return json(res, 403, { allow: true })
      case 'broken': return json(res, 500, { allow: true })
      case 'garbage': return res.writeHead(200).end('<html>')
      case 'empty': return res.writeHead(204).end()
      case 'slow': return // never answers (the teardown closes the connection)
    }
  })
  const failures: string[] = []
  const { authorizer } = await accessNode(t, {}, hook(backend.url, failures, { timeoutMs: 1000 }))
  const ask = (resource: string) => authorizer.authorize(attempt('syscache', 'subscribe', resource, user('kim')))
  t.equal(await ask('truthy'), false, 'allow must be true itself')
  t.equal(await ask('forbidden'), false, 'a 4xx denies')
  t.equal(await ask('empty'), false, 'no body denies')
  t.same(failures, [], 'deliberate answers are not failures')
  t.equal(await ask('broken'), false)
  t.equal(await ask('garbage'), false)
  t.equal(await ask('slow'), false, 'a timeout denies')
  t.same(failures, ['broken: status 500', 'garbage: answer is not JSON', 'slow: timeout'])
  const before = backend.asked.length
  t.equal(await ask('broken'), false)
  t.equal(ask('truthy'), false, 'a deliberate answer is remembered (synchronously)')
  t.equal(backend.asked.length, before + 1, 'a failure is asked again, an answer is not')

  const unreachable = await accessNode(t, {}, hook('http://127.0.0.1:1/authorize', failures))
  t.equal(await unreachable.authorizer.authorize(attempt('das', 'subscribe', 'gone', null)), false)
  t.equal(failures.at(-1), 'gone: unreachable')
})

t.test('answers are kept for cacheTtl per (protocol, action, resource, user, roles)', async (t) => {
  let allow = true
  const backend = await hookBackend(t, (_q, res) => json(res, 200, { allow }))
  let now = 1_000_000
  const { authorizer, identity } = await accessNode(t, {}, hook(backend.url, [], { now: () => now, cacheTtlMs: 5000 }))
  await identity.create({ username: 'kim', password: 'pw', roles: ['ops'] })
  const ask = (resource = 'ch', who = user('kim')) => authorizer.authorize({ protocol: 'webrocket', action: 'subscribe', resource, principal: who, connectionId: `c${backend.asked.length}` })
  t.equal(await ask(), true)
  allow = false
  t.equal(ask(), true, 'cached, whatever the connection')
  now += 4999
  t.equal(ask(), true, 'still fresh just before cacheTtl')
  t.equal(backend.asked.length, 1)
  t.equal(await ask('other'), false, 'another resource is another question')
  t.equal(await ask('ch', user('kim', { roles: [] })), false, 'other roles, another question')
  now += 1
  t.equal(await ask(), false, 'expired: asked again')
  t.equal(backend.asked.length, 4)
})

t.test('the same question asked while it is in flight waits for the one answer', async (t) => {
  const pending: ServerResponse[] = []
  const backend = await hookBackend(t, (_q, res) => { pending.push(res) })
  const { authorizer } = await accessNode(t, {}, hook(backend.url, []))
  const answers = [1, 2, 3].map((n) => authorizer.authorize({ protocol: 'das', action: 'subscribe', resource: 'new_event', principal: null, connectionId: `c${n}` }))
  const deadline = Date.now() + 2000
  while (pending.length === 0 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve))
  json(pending[0], 200, { allow: true })
  t.same(await Promise.all(answers), [true, true, true])
  t.equal(backend.asked.length, 1)
})

t.test('without backend.secret the question goes unsigned', async (t) => {
  const backend = await hookBackend(t, (_q, res) => json(res, 200, { allow: true }))
  const { authorizer } = await accessNode(t, {}, hook(backend.url, [], { secret: null }))
  t.equal(await authorizer.authorize(attempt('das', 'publish', 'x', null)), true)
  t.equal(backend.asked[0].signed, false)
})
