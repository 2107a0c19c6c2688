import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import t, { type Test } from 'tap'
import { ALICE } from '../../helpers/config.js'
import { eventually } from '../../helpers/ws-client.js'
import { authed, error, rpc, sysadm, syscacheApp } from './helpers.js'

interface TestLike { teardown (fn: () => unknown): void }

/** A local backend: answers by the forwarded `name`; records every request it gets. */
async function startBackend (t: TestLike, routes: Record<string, (body: Record<string, unknown>, res: ServerResponse) => void>) {
  const seen: Array<Record<string, unknown>> = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = ''
    req.on('data', (chunk: Buffer) => { text += chunk.toString() })
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>
      seen.push(body)
      const route = routes[String(body.name)]
      if (route) route(body, res)
      else res.writeHead(404).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) }))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/syscache`, seen }
}

const json = (status: number, body: unknown) => (_: unknown, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}
const response = (namespace: string, id: string, args: unknown) => ({ namespace, name: 'response', id, args })

t.test('sysadm/systemmanager answers from the host without a backend', async (t) => {
  const app = await syscacheApp(t)
  const { client } = await authed(t, app, ALICE)
  const memory = await client.request(sysadm('systemmanager', { action: 'memorystats' }, 'm'))
  t.match(memory, { namespace: 'sysadm', name: 'response', id: 'm', args: { memorystats: { total: Number, free: Number, used: Number, unit: 'MB' } } })
  t.ok(memory.args.memorystats.total > 0)
  const cpu = await client.request(sysadm('systemmanager', { action: 'cpupercentage' }, 'c'))
  t.type(cpu.args.cpupercentage.busytotal, 'number')
  t.type(cpu.args.cpupercentage.cpu0.busy, 'number')
  t.type((await client.request(sysadm('systemmanager', { action: 'cpupercentage' }, 'c2'))).args.cpupercentage.busytotal, 'number', 'second sample: since the first')
  const proc = await client.request(sysadm('systemmanager', { action: 'procinfo' }, 'p'))
  t.equal(proc.args.procinfo.pid, process.pid)
  const info = await client.request(sysadm('systemmanager', { action: 'systeminfo' }, 'i'))
  t.type(info.args.systeminfo.hostname, 'string')
})

t.test('class requests: 400 without an action, 404 for unknown classes without a backend', async (t) => {
  const app = await syscacheApp(t)
  const { client } = await authed(t, app)
  t.same(await client.request(sysadm('systemmanager', {}, 'a')), error('a', 400, 'Bad Request'), 'missing action')
  t.same(await client.request(sysadm('systemmanager', 'memorystats', 'b')), error('b', 400, 'Bad Request'), 'args not an object')
  t.same(await client.request(sysadm('systemmanager', { action: 7 }, 'c')), error('c', 400, 'Bad Request'), 'action not a string')
  t.same(await client.request(sysadm('systemmanager', { action: 'reboot' }, 'd')), error('d', 400, 'Bad Request'), 'not a built-in action')
  t.same(await client.request(sysadm('update', { action: 'checkupdates' }, 'e')), error('e', 404, 'Not Found'))
  t.same(await client.request(rpc('syscache', ['needsreboot'], 'f')), error('f', 404, 'Not Found'))
  t.same(await client.request(rpc('dispatcher', { action: 'run', p1: 'ls' }, 'g')), error('g', 404, 'Not Found'), 'admin: allowed, but nobody runs it')
  t.same(await client.request(rpc('query', null, 'q')), response('rpc', 'q', { 'sysadm/systemmanager': 'read' }))
})

t.test('limited users get 403 for full-access-only classes and actions', async (t) => {
  const app = await syscacheApp(t, { fullAccessOnly: ['rpc/dispatcher', 'sysadm/zfs/destroy'] })
  const { client } = await authed(t, app, ALICE)
  t.same(await client.request(rpc('dispatcher', { action: 'run', p1: 'ls' }, 'd')), error('d', 403, 'Forbidden'))
  t.same(await client.request(sysadm('zfs', { action: 'destroy' }, 'z')), error('z', 403, 'Forbidden'))
  t.same(await client.request(sysadm('zfs', { action: 'list_pools' }, 'l')), error('l', 404, 'Not Found'), 'other actions pass')
})

t.test('requests are forwarded to the backend: ok, 404, 403, other 4xx as they are, and failures', async (t) => {
  const backend = await startBackend(t, {
    'sysadm/update': json(200, { checkupdates: { status: 'noupdates' } }),
    'rpc/syscache': json(200, { needsreboot: 'false' }),
    'sysadm/secret': json(403, {}),
    'sysadm/invalid': json(400, { message: 'no such pool' }),
    'sysadm/conflict': (_, res) => { res.writeHead(409).end() },
    'sysadm/teapot': json(418, {}),
    'sysadm/broken': json(500, {}),
    'sysadm/notjson': (_, res) => { res.writeHead(200).end('<html>') },
    'sysadm/empty': (_, res) => { res.writeHead(204).end() },
    'sysadm/systemmanager': json(200, { killproc: 'done' }),
    'sysadm/slow': (_, res) => { setTimeout(() => json(200, { slow: true })(null, res), 1300) },
    'sysadm/hang': () => {},
  })
  const app = await syscacheApp(t, { backendUrl: backend.url, idleTimeout: 1000 }, { backend: { timeout: 2500 } })
  const { client } = await authed(t, app)
  const ok = await client.request(sysadm('update', { action: 'checkupdates' }, 'u'))
  t.same(ok, response('sysadm', 'u', { checkupdates: { status: 'noupdates' } }))
  t.match(backend.seen.at(-1), { protocol: 'syscache', name: 'sysadm/update', data: { action: 'checkupdates' }, user: 'admin', connectionId: String, fullAccess: true })
  t.same(await client.request(rpc('syscache', ['needsreboot'], 'r')), response('rpc', 'r', { needsreboot: 'false' }), 'rpc/* too')
  t.same(await client.request(sysadm('nope', { action: 'x' }, 'n')), error('n', 404, 'Not Found'), 'backend 404')
  t.same(await client.request(sysadm('secret', { action: 'x' }, 's')), error('s', 403, 'Forbidden'), 'backend 403')
  t.same(await client.request(sysadm('invalid', { action: 'x' }, 'i')), error('i', 400, 'Bad Request'), 'backend 400: a 400 (issue 16)')
  t.same(await client.request(sysadm('conflict', { action: 'x' }, 'c')), error('c', 409, 'Conflict'), 'any 4xx keeps its code')
  t.same(await client.request(sysadm('teapot', { action: 'x' }, 't')), error('t', 418, 'I\'m a Teapot'))
  t.same(await client.request(sysadm('broken', { action: 'x' }, 'b')), error('b', 500, 'Internal Server Error'), 'backend 500')
  t.same(await client.request(sysadm('notjson', { action: 'x' }, 'j')), error('j', 500, 'Internal Server Error'), 'reply not JSON')
  t.same(await client.request(sysadm('empty', { action: 'x' }, 'e')), response('sysadm', 'e', null), 'empty reply: null args')
  t.same(await client.request(sysadm('systemmanager', { action: 'killproc' }, 'k')), response('sysadm', 'k', { killproc: 'done' }), 'non-built-in action forwarded')
  t.equal((await client.request(sysadm('systemmanager', { action: 'memorystats' }, 'm'))).args.memorystats.unit, 'MB', 'built-ins stay local')

  // The slow call outlives the idle timeout (1000 ms) and does not hold the frames after it.
  client.send(sysadm('slow', { action: 'x' }, 'slow'))
  client.send(rpc('identify', {}, 'quick'))
  t.equal((await client.json()).id, 'quick', 'answered first')
  t.same(await client.json(3000), response('sysadm', 'slow', { slow: true }), 'then the slow one, connection still open')

  t.same(await client.request(sysadm('hang', { action: 'x' }, 'h'), 5000), error('h', 500, 'Internal Server Error'), 'timeout')
})

t.test('an unreachable backend is a 500', async (t) => {
  const backend = await startBackend(t, {})
  const app = await syscacheApp(t, { backendUrl: 'http://127.0.0.1:1/nothing-listens' })
  const { client } = await authed(t, app)
  t.same(await client.request(sysadm('update', { action: 'x' }, 'u')), error('u', 500, 'Internal Server Error'))
  t.same(await client.request(rpc('query', {}, 'q')), response('rpc', 'q', { 'sysadm/systemmanager': 'read' }), 'query still answers the built-ins')
  t.equal(backend.seen.length, 0)
})

t.test('rpc/query merges the backend list and hides what a limited user may not call', async (t) => {
  const backend = await startBackend(t, {
    'rpc/query': json(200, { 'rpc/dispatcher': 'read/write', 'sysadm/zfs': 'read/write', 'sysadm/update': 'read/write', 'sysadm/junk': 5 }),
    'sysadm/update': (body, res) => json(200, { user: body.user, fullAccess: body.fullAccess })(null, res),
  })
  const app = await syscacheApp(t, { backendUrl: backend.url, fullAccessOnly: ['rpc/dispatcher', 'sysadm/zfs/destroy'] })
  const admin = (await authed(t, app)).client
  const alice = (await authed(t, app, ALICE)).client
  t.same(await admin.request(rpc('query', {}, 'q')), response('rpc', 'q', {
    'rpc/dispatcher': 'read/write', 'sysadm/zfs': 'read/write', 'sysadm/update': 'read/write', 'sysadm/systemmanager': 'read',
  }))
  t.same(await alice.request(rpc('query', {}, 'q')), response('rpc', 'q', {
    'sysadm/zfs': 'read', 'sysadm/update': 'read/write', 'sysadm/systemmanager': 'read',
  }))
  t.match(backend.seen.find((r) => r.name === 'rpc/query' && r.user === 'alice'), { fullAccess: false })
  t.same((await alice.request(sysadm('update', { action: 'x' }, 'u'))).args, { user: 'alice', fullAccess: false })
})

t.test('a connection with too many requests in flight is closed', async (t) => {
  const backend = await startBackend(t, { 'sysadm/hang': () => {} })
  const app = await syscacheApp(t, { backendUrl: backend.url })
  const { client } = await authed(t, app)
  for (let i = 0; i < 80; i++) client.send(sysadm('hang', { action: 'x' }, `h${i}`))
  t.equal((await client.closed(5000)).code, 1008)
  const other = (await authed(t, app)).client
  t.equal((await other.request(rpc('identify', {}, 'i'))).name, 'response', 'others unaffected')
})

// Calls in flight hold no frame in the queue (replies carry their id), yet they count against
// maxPendingRequests until they answer: one slow backend cannot be flooded through one socket.
async function callsInFlightBound (t: Test, limit: number, syscache: Record<string, unknown> = {}) {
  const backend = await startBackend(t, { 'sysadm/hang': () => {} })
  const app = await syscacheApp(t, { backendUrl: backend.url, ...syscache }, { backend: { timeout: 60_000 } })
  const { client } = await authed(t, app)
  for (let i = 1; i < limit; i++) {
    client.send(sysadm('hang', { action: 'x' }, `h${i}`))
    // Answered only once the call before it has been handed to the backend (frames go in order).
    t.equal((await client.request(rpc('identify', {}, `i${i}`))).id, `i${i}`)
  }
  await eventually(() => backend.seen.length === limit - 1, 5000, `${limit - 1} calls reaching the backend`)
  t.equal(client.closeInfo, null, `${limit - 1} calls in flight, the connection is open`)
  client.send(sysadm('hang', { action: 'x' }, `h${limit}`))
  await eventually(() => backend.seen.length === limit, 5000, `call ${limit} reaching the backend`)
  client.send(rpc('identify', {}, 'refused'))
  t.same(await client.closed(5000), { code: 1008, reason: 'too many pending requests' }, `the request past ${limit} calls in flight closes`)
  t.same(client.frames, [], 'and is not answered')
}

t.test('64 backend calls in flight: the next request closes the connection', async (t) => {
  await callsInFlightBound(t, 64)
})

t.test('the bound is protocols.syscache.maxPendingRequests', async (t) => {
  await callsInFlightBound(t, 3, { maxPendingRequests: 3 })
})
