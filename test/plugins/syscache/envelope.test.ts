import { hostname } from 'node:os'
import t from 'tap'
import { WsClient } from '../../helpers/ws-client.js'
import { authed, connect, error, events, rpc, sysadm, syscacheApp } from './helpers.js'

const BAD = (id: string | number = 'error') => error(id, 400, 'Bad Request')

t.test('frames that are not a valid envelope get 400 and the connection stays usable', async (t) => {
  const app = await syscacheApp(t)
  const client = await connect(t, app)
  t.same(await client.request('not json'), BAD(), 'not JSON')
  t.same(await client.request('[1,2]'), BAD(), 'an array')
  t.same(await client.request('"text"'), BAD(), 'a string')
  t.same(await client.request('null'), BAD(), 'null')
  t.same(await client.request({ namespace: 'rpc', name: 'identify', id: 'x' }), BAD('x'), 'args missing: id echoed')
  t.same(await client.request({ namespace: 'rpc', name: 'identify', args: {} }), BAD(), 'id missing')
  t.same(await client.request({ name: 'identify', id: 'n', args: {} }), BAD('n'), 'namespace missing')
  t.same(await client.request({ namespace: 'rpc', id: 'm', args: {} }), BAD('m'), 'name missing')
  t.same(await client.request({ namespace: 1, name: 'identify', id: 'w', args: {} }), BAD('w'), 'namespace not a string')
  t.same(await client.request({ namespace: 'rpc', name: 'identify', id: { no: 1 }, args: {} }), BAD(), 'id neither string nor number')
  const reply = await client.request(rpc('identify', null, 'still'))
  t.same(reply, { namespace: 'rpc', name: 'response', id: 'still', args: { type: 'server', hostname: hostname() } })
})

t.test('ids are echoed exactly, numbers included', async (t) => {
  const app = await syscacheApp(t)
  const client = await connect(t, app)
  t.same(await client.request(rpc('identify', 'x', 42)), { namespace: 'rpc', name: 'response', id: 42, args: { type: 'server', hostname: hostname() } })
  t.same(await client.request(rpc('query', {}, 7)), error(7, 401, 'Unauthorized'))
  t.same(await client.request(rpc('query', {}, '')), error('', 401, 'Unauthorized'))
})

t.test('binary frames are read as text', async (t) => {
  const app = await syscacheApp(t)
  const client = await connect(t, app)
  client.sendRaw(Buffer.from(JSON.stringify(rpc('identify', {}, 'bin'))), true)
  const reply = await client.json()
  t.equal(reply.id, 'bin')
  t.equal(reply.args.type, 'server')
})

t.test('every request but auth/identify needs a token: 401 in the rpc envelope', async (t) => {
  const app = await syscacheApp(t)
  const client = await connect(t, app)
  t.same(await client.request(events('subscribe', ['dispatcher'], 'e')), error('e', 401, 'Unauthorized'))
  t.same(await client.request(events('nonsense', ['dispatcher'], 'e2')), error('e2', 401, 'Unauthorized'))
  t.same(await client.request(sysadm('systemmanager', { action: 'memorystats' }, 's')), error('s', 401, 'Unauthorized'))
  t.same(await client.request({ namespace: 'other', name: 'x', id: 'o', args: {} }), error('o', 401, 'Unauthorized'))
  t.same(await client.request(rpc('dispatcher', { action: 'run' }, 'd')), error('d', 401, 'Unauthorized'))
})

t.test('unknown namespaces and events names are 400 once authenticated', async (t) => {
  const app = await syscacheApp(t)
  const { client } = await authed(t, app)
  t.same(await client.request({ namespace: 'other', name: 'x', id: 'o', args: {} }), BAD('o'))
  t.same(await client.request(events('publish', ['dispatcher'], 'p')), BAD('p'))
})

t.test('an oversized frame closes only its own connection', async (t) => {
  const app = await syscacheApp(t, {}, { server: { maxPayload: 1024 } })
  const big = await connect(t, app)
  const other = await connect(t, app)
  big.send(rpc('identify', 'x'.repeat(4096)))
  const { code } = await big.closed()
  t.equal(code, 1009, 'message too big')
  const reply = await other.request(rpc('identify', {}, 'ok'))
  t.equal(reply.name, 'response')
})

t.test('a store failure answers 500 for that request and keeps the connection', async (t) => {
  const app = await syscacheApp(t)
  const { client } = await authed(t, app)
  const store = app.app.services.store
  const get = store.get.bind(store)
  store.get = async () => { throw new Error('store down') }
  t.teardown(() => { store.get = get })
  t.same(await client.request(rpc('query', {}, 'q')), error('q', 500, 'Internal Server Error'))
  store.get = get
  t.equal((await client.request(rpc('query', {}, 'q2'))).name, 'response')
})

t.test('a custom path, and no route at all when disabled', async (t) => {
  const moved = await syscacheApp(t, { path: '/sysadm' })
  const client = await connect(t, moved, {}, '/sysadm')
  t.equal((await client.request(rpc('identify', {}, 'i'))).name, 'response')
  const off = await syscacheApp(t, { enabled: false })
  const refused = await WsClient.connect(`${off.wsUrl}/syscache`).then(() => null, (err: { statusCode?: number }) => err)
  t.equal(refused?.statusCode, 404)
})
