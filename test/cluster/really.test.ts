import t, { type Test } from 'tap'
import { request } from '../helpers/app.js'
import { ALICE } from '../helpers/config.js'
import { REDIS_URL } from '../helpers/infra.js'
import type { WsClient } from '../helpers/ws-client.js'
import { anonymousToken } from '../plugins/really/helpers.js'
import { open } from './clients.js'
import { startCluster, startNode, type Node } from './harness.js'

// Really across real processes (plugins/really/README.md): objects and their change log in
// PostgreSQL, pushes through the Redis broker, tokens are JWTs signed with the shared secret.

const configYaml = `protocols:
  really:
    models:
      /users/:
        fields:
          name: { type: string, required: true }
          age: { type: long, default: 0 }`

let tag = 100
const ask = (client: WsClient, frame: Record<string, unknown>) => client.request({ tag: ++tag, ...frame })

async function initialized (t: Test, node: Node, accessToken: string): Promise<WsClient> {
  const client = await open(t, `${node.wsUrl}/v0.1/socket`)
  const reply = await client.request({ tag: 1, cmd: 'initialize', accessToken })
  t.equal(reply.evt, 'initialized', `initialized on ${node.name}`)
  return client
}

const set = (key: string, value: unknown) => ({ op: 'set', key, value })

t.test('two Really nodes', async (t) => {
  const [a, b] = await startCluster(t, 2, { redisUrl: REDIS_URL, configYaml })

  t.test('tokens issued on A are accepted on B', async (t) => {
    const anonymous = await initialized(t, b, await anonymousToken(a.url, { nick: 'n' }))
    t.equal((await ask(anonymous, { cmd: 'ping' })).evt, 'pinged')
    const login = await request(a.url, 'POST', '/auth/password/login/', { body: ALICE })
    const client = await open(t, `${b.wsUrl}/v0.1/socket`)
    t.match(await client.request({ tag: 1, cmd: 'initialize', accessToken: login.body.accessToken }), { evt: 'initialized', body: { authType: 'password', uid: 'alice' } })
  })

  t.test('objects created on A are readable and subscribable on B', async (t) => {
    const writer = await initialized(t, a, await anonymousToken(a.url))
    const watcher = await initialized(t, b, await anonymousToken(b.url))
    const { r } = await ask(writer, { cmd: 'create', r: '/users/', body: { name: 'Ada' } })
    t.match(await ask(watcher, { cmd: 'get', r }), { r, body: { name: 'Ada', age: 0, _r: r, _rev: 1 } }, 'get on B')
    t.match((await ask(watcher, { cmd: 'read', r: '/users/', cmdOpts: { limit: 1 } })).body.items, [{ body: { _r: r } }], 'read on B')
    t.same((await ask(watcher, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 1 }, { r: '/users/', rev: 0 }] } })).body, { subscriptions: [r, '/users/*/'] })

    t.match(await ask(writer, { cmd: 'update', r, rev: 1, body: { ops: [set('name', 'Ada L.'), { op: 'addNumber', key: 'age', value: 36 }] } }), { r, rev: 2 })
    t.match(await watcher.json(), { r, rev: 2, evt: 'updated', body: { name: { op: 'set', value: 'Ada L.' }, age: { op: 'addNumber', opValue: 36, value: 36 } } }, 'A → B')
    const created = await ask(writer, { cmd: 'create', r: '/users/', body: { name: 'Grace' } })
    t.match(await watcher.json(), { r: '/users/*/', evt: 'created', body: { _r: created.r, name: 'Grace' } })
    await ask(writer, { cmd: 'delete', r })
    t.match(await watcher.json(), { r, rev: 3, evt: 'deleted' })
    t.match(await ask(watcher, { cmd: 'get', r }), { error: { code: 410, message: 'object.gone' } }, 'deleted for B too')

    t.match(await ask(watcher, { cmd: 'update', r: created.r, rev: 1, body: { ops: [set('age', 85)] } }), { rev: 2 }, 'and B writes back')
    t.match(await ask(writer, { cmd: 'get', r: created.r }), { body: { age: 85, _rev: 2 } })
  })

  let saved = { r: '', rev: 0, token: '' }

  t.test('node A killed: its client resumes on B from the revision it had', async (t) => {
    const token = await anonymousToken(a.url)
    const client = await initialized(t, a, token)
    const { r } = await ask(client, { cmd: 'create', r: '/users/', body: { name: 'Linus' } })
    t.same((await ask(client, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 1 }] } })).body, { subscriptions: [r] })
    const other = await initialized(t, b, await anonymousToken(b.url))
    await ask(other, { cmd: 'update', r, rev: 1, body: { ops: [set('age', 1)] } })
    t.match(await client.json(), { r, rev: 2, evt: 'updated' }, 'live on A before the kill')

    await a.kill()
    t.equal((await client.closed()).code, 1006, 'the client saw its node die')
    await ask(other, { cmd: 'update', r, rev: 2, body: { ops: [set('age', 2)] } })
    await ask(other, { cmd: 'update', r, rev: 3, body: { ops: [set('name', 'Linus T.')] } })

    const back = await initialized(t, b, token)
    t.same((await ask(back, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 2 }] } })).body, { subscriptions: [r] })
    t.match(await back.json(), { r, rev: 3, evt: 'updated', body: { age: { value: 2 } } }, 'missed changes replayed from the shared log')
    t.match(await back.json(), { r, rev: 4, evt: 'updated', body: { name: { value: 'Linus T.' } } })
    await ask(other, { cmd: 'update', r, rev: 4, body: { ops: [set('age', 3)] } })
    t.match(await back.json(), { r, rev: 5, evt: 'updated', body: { age: { value: 3 } } }, 'live on B')
    saved = { r, rev: 5, token }
  })

  t.test('every node restarted: objects and their change log persist', async (t) => {
    t.ok(saved.r, 'an object from the previous test')
    await b.kill()
    const c = await startNode(t, 'node2', ...a.shared)
    const client = await initialized(t, c, saved.token)
    t.match(await ask(client, { cmd: 'get', r: saved.r }), { body: { name: 'Linus T.', age: 3, _r: saved.r, _rev: saved.rev } }, 'read back after the restart')
    t.same((await ask(client, { cmd: 'subscribe', body: { subscriptions: [{ r: saved.r, rev: 1 }] } })).body, { subscriptions: [saved.r] })
    const replay = []
    for (let rev = 2; rev <= saved.rev; rev++) replay.push(await client.json())
    t.same(replay.map((p) => [p.evt, p.rev]), [['updated', 2], ['updated', 3], ['updated', 4], ['updated', 5]], 'the whole change log is still there')
    t.match(await ask(client, { cmd: 'create', r: '/users/', body: { name: 'new' } }), { r: /^\/users\/\d+\/$/ }, 'and writes continue')
  })
})
