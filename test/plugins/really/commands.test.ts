import t, { type Test } from 'tap'
import { postgresUrl } from '../../helpers/infra.js'
import type { WsClient } from '../../helpers/ws-client.js'
import { request } from '../../helpers/app.js'
import { connect, initialized, startReally } from './helpers.js'

// The object store runs on both databases the core supports.
const databases: Array<[string, (t: { teardown (fn: () => unknown): void }) => Promise<string>]> = [
  ['sqlite', async () => 'sqlite::memory:'],
  ['postgres', (t) => postgresUrl(t)],
]

let tag = 100
const ask = (client: WsClient, frame: Record<string, unknown>) => client.request({ tag: ++tag, ...frame })

for (const [name, database] of databases) {
  t.test(`commands on ${name}`, async (t) => {
    const app = await startReally(t, {}, { storage: { database: await database(t) } })
    const c = await initialized(t, app)

    t.test('create (§4.5)', async (t) => {
      const reply = await ask(c, { cmd: 'create', r: '/users', body: { name: 'Ahmed', score: 1.5, _r: '/ignored/1/' } })
      t.equal(reply.tag, tag, 'tag echoed')
      t.match(reply.r, /^\/users\/\d+\/$/, 'new object R, normalised')
      t.same(reply.body, { name: 'Ahmed', age: 0, score: 1.5, _r: reply.r, _rev: 1 }, 'defaults applied')
      const other = await ask(c, { cmd: 'create', r: '/users/*/', body: { name: 'Other' } })
      t.not(other.r, reply.r, 'fresh id')

      t.same(await ask(c, { cmd: 'create', r: '/cars/', body: {} }), { tag, r: '/cars/*/', error: { code: 404, message: 'model.unknown' } })
      const objectR = await ask(c, { cmd: 'create', r: reply.r, body: { name: 'x' } })
      t.match(objectR, { tag, error: { code: 409, message: 'validation.failed', errors: { 'obj.r': [{ msg: 'error.collection.r.expected' }] } } })
      t.match(await ask(c, { cmd: 'create', r: '/users/' }), { tag, error: { code: 409, message: 'validation.failed', errors: { 'obj.body': [{ msg: 'error.path.missing' }] } } })
      t.match(await ask(c, { cmd: 'create', r: '/1users/', body: {} }), { tag, error: { code: 409, message: 'validation.failed' } })
      t.match(await ask(c, { cmd: 'create', r: 42, body: {} }), { tag, error: { code: 409, message: 'validation.failed' } })
      const model = await ask(c, { cmd: 'create', r: '/users/', body: { age: 1.5, active: 'yes', colour: 'red' } })
      t.same(model, {
        tag,
        r: '/users/*/',
        error: {
          code: 409,
          message: 'validation.model.failed',
          errors: {
            'obj.age': [{ msg: 'error.expected.jslong', args: [] }],
            'obj.active': [{ msg: 'error.expected.jsboolean', args: [] }],
            'obj.colour': [{ msg: 'error.unknown.field', args: [] }],
            'obj.name': [{ msg: 'error.required', args: [] }],
          },
        },
      })

      const post = await ask(c, { cmd: 'create', r: `${reply.r}posts`, body: { title: 'Hello' } })
      t.match(post.r, new RegExp(`^${reply.r}posts/\\d+/$`), 'nested object')
      t.same(await ask(c, { cmd: 'create', r: '/users/999999999/posts/', body: { title: 'x' } }),
        { tag, r: '/users/999999999/posts/*/', error: { code: 404, message: 'object.parent.missing' } })
      t.match(await ask(c, { cmd: 'create', r: '/users/*/posts/', body: { title: 'x' } }), { error: { code: 409, message: 'validation.failed' } }, 'parent id must be concrete')
    })

    t.test('get (§4.5)', async (t) => {
      const { r } = await ask(c, { cmd: 'create', r: '/users/', body: { name: 'Getter', age: 30 } })
      const full = await ask(c, { cmd: 'get', r: r.slice(0, -1) })
      t.same(full, { tag, r, body: { name: 'Getter', age: 30, _r: r, _rev: 1 }, meta: { fields: ['name', 'age', 'score', 'active'] } })
      const some = await ask(c, { cmd: 'get', r, cmdOpts: { fields: ['age'] } })
      t.same(some, { tag, r, body: { age: 30, _r: r, _rev: 1 }, meta: { fields: ['age'] } })
      t.match(await ask(c, { cmd: 'get', r, cmdOpts: {} }), { tag, error: { code: 409, message: 'validation.failed', errors: { 'obj.cmdOpts.fields': [{ msg: 'error.path.missing' }] } } })
      t.match(await ask(c, { cmd: 'get', r, cmdOpts: { fields: ['nope'] } }), { tag, error: { code: 409, message: 'validation.failed' } })
      t.same(await ask(c, { cmd: 'get', r: '/users/987654321' }), { tag, r: '/users/987654321/', error: { code: 404, message: 'object.missing' } })
      t.same(await ask(c, { cmd: 'get', r: '/users/99999999999999999999' }).then((x) => x.error.code), 409, 'id beyond Long')
      t.same(await ask(c, { cmd: 'get', r: '/cars/1' }), { tag, r: '/cars/1/', error: { code: 404, message: 'model.unknown' } })
      t.match(await ask(c, { cmd: 'get', r: '/users/' }), { tag, error: { code: 409, message: 'validation.failed' } })
      const post = await ask(c, { cmd: 'create', r: `${r}posts/`, body: { title: 'T' } })
      const otherParent = post.r.replace(r, '/users/1/')
      if (otherParent !== post.r) t.match(await ask(c, { cmd: 'get', r: otherParent }), { error: { code: 404, message: 'object.missing' } }, 'id under another parent')
      await ask(c, { cmd: 'delete', r })
      t.same(await ask(c, { cmd: 'get', r }), { tag, r, error: { code: 410, message: 'object.gone' } })
    })

    t.test('update (§4.5, §4.10 items 12-13)', async (t) => {
      const { r } = await ask(c, { cmd: 'create', r: '/users/', body: { name: 'Up', age: 10 } })
      const ops = [{ op: 'set', key: 'name', value: 'Upper' }, { op: 'addNumber', key: 'age', value: 5 }, { op: 'addNumber', key: 'score', value: 0.5 }]
      t.same(await ask(c, { cmd: 'update', r, rev: 1, body: { ops } }), { tag, r, rev: 2 })
      t.same((await ask(c, { cmd: 'get', r })).body, { name: 'Upper', age: 15, score: 0.5, _r: r, _rev: 2 })
      t.same(await ask(c, { cmd: 'update', r, rev: 0, body: { ops: [{ op: 'set', key: 'active', value: true }] } }), { tag, r, rev: 3 }, 'an older rev still applies')
      t.same(await ask(c, { cmd: 'update', r, rev: 9, body: { ops } }), { tag, r, error: { code: 420, message: 'object.revision.outdated' } })
      t.match(await ask(c, { cmd: 'update', r, rev: 3, body: { ops: [{ op: 'push', key: 'name', value: 'x' }] } }),
        { tag, r, error: { code: 409, message: 'validation.failed', errors: { 'obj.body.ops[0].op': [{ msg: 'error.unsupported.command' }] } } })
      t.match(await ask(c, { cmd: 'update', r, rev: 3, body: { ops: [] } }), { tag, error: { code: 409, message: 'validation.failed' } }, 'empty ops')
      t.match(await ask(c, { cmd: 'update', r, body: { ops } }), { tag, error: { code: 409, message: 'validation.failed', errors: { 'obj.rev': [{ msg: 'error.path.missing' }] } } }, 'missing rev')
      t.match(await ask(c, { cmd: 'update', r: '/users/', rev: 1, body: { ops } }), { tag, error: { code: 409, message: 'validation.failed' } }, 'collection R')
      const bad = await ask(c, {
        cmd: 'update', r, rev: 3,
        body: { ops: [{ op: 'addNumber', key: 'name', value: 1 }, { op: 'set', key: 'age', value: 'old' }, { op: 'set', key: 'name', value: null }, { op: 'set', key: 'nope', value: 1 }, { op: 'addNumber', key: 'age', value: 0.5 }] },
      })
      t.same(bad.error.code, 409)
      t.same(bad.error.message, 'validation.model.failed')
      t.same(Object.keys(bad.error.errors).sort(), ['obj.age', 'obj.name', 'obj.nope'])
      t.equal((await ask(c, { cmd: 'get', r })).body._rev, 3, 'nothing applied')
      t.same(await ask(c, { cmd: 'update', r, rev: 3, body: { ops: [{ op: 'set', key: 'score', value: null }] } }), { tag, r, rev: 4 }, 'optional field cleared')
      t.notOk('score' in (await ask(c, { cmd: 'get', r })).body)
      t.same(await ask(c, { cmd: 'update', r: '/users/987654321/', rev: 1, body: { ops } }), { tag, r: '/users/987654321/', error: { code: 404, message: 'object.missing' } })
      await ask(c, { cmd: 'delete', r })
      t.same(await ask(c, { cmd: 'update', r, rev: 1, body: { ops } }), { tag, r, error: { code: 410, message: 'object.gone' } })
    })

    t.test('concurrent updates all apply, each with its own revision', async (t) => {
      const { r } = await ask(c, { cmd: 'create', r: '/users/', body: { name: 'Counter' } })
      const others = await Promise.all([initialized(t, app), initialized(t, app), initialized(t, app)])
      const replies = await Promise.all(others.map((o) => o.request({ tag: 1, cmd: 'update', r, rev: 1, body: { ops: [{ op: 'addNumber', key: 'age', value: 1 }] } })))
      t.same(replies.map((x) => x.rev).sort(), [2, 3, 4])
      t.equal((await ask(c, { cmd: 'get', r })).body.age, 3)
    })

    t.test('delete (§4.5)', async (t) => {
      const { r } = await ask(c, { cmd: 'create', r: '/users/', body: { name: 'Del' } })
      t.same(await ask(c, { cmd: 'delete', r: r.slice(0, -1) }), { tag, r })
      t.same(await ask(c, { cmd: 'delete', r }), { tag, r, error: { code: 410, message: 'object.gone' } })
      t.same(await ask(c, { cmd: 'delete', r: '/users/987654321' }), { tag, r: '/users/987654321/', error: { code: 404, message: 'object.missing' } })
      t.match(await ask(c, { cmd: 'delete', r: '/users/' }), { tag, error: { code: 409, message: 'validation.failed' } })
      t.match(await ask(c, { cmd: 'delete' }), { tag, error: { code: 409, message: 'validation.failed', errors: { 'obj.r': [{ msg: 'error.path.missing' }] } } })
    })

    t.test('read (§4.5)', async (t) => {
      const { r: owner } = await ask(c, { cmd: 'create', r: '/users/', body: { name: 'Owner' } })
      const coll = `${owner}posts/`
      const ids: string[] = []
      for (let i = 1; i <= 7; i++) ids.push((await ask(c, { cmd: 'create', r: coll, body: { title: i % 2 ? 'odd' : 'even', likes: i } })).r)
      await ask(c, { cmd: 'delete', r: ids[6] })
      const all = await ask(c, { cmd: 'read', r: coll.slice(0, -1), cmdOpts: { includeTotalCount: true } })
      t.equal(all.r, `${coll}*/`)
      t.equal(all.body.totalResults, 6, 'deleted objects are not read')
      t.same(all.body.items.map((i: { body: { _r: string } }) => i.body._r), ids.slice(0, 6).reverse(), 'newest first by default')
      t.same(all.body.items[0].meta, { fields: ['title', 'likes'] })
      t.notOk(all.body.tokens, 'one page')

      const filtered = await ask(c, { cmd: 'read', r: coll, cmdOpts: { query: { filter: 'title = $t and likes >= $min', values: { t: 'odd', min: 2 } }, ascending: true, fields: ['likes'] } })
      t.same(filtered.body.items.map((i: { body: unknown }) => i.body), [3, 5].map((n) => ({ likes: n, _r: ids[n - 1], _rev: 1 })))
      t.same(filtered.body.items[0].meta, { fields: ['likes'] })
      const ops = async (filter: string, values: Record<string, unknown> = {}) =>
        (await ask(c, { cmd: 'read', r: coll, cmdOpts: { query: { filter, values }, ascending: true } })).body.items.map((i: { body: { likes: number } }) => i.body.likes)
      t.same(await ops('likes != $x', { x: 3 }), [1, 2, 4, 5, 6])
      t.same(await ops('likes < 3'), [1, 2])
      t.same(await ops('likes <= 3 AND title = "odd"'), [1, 3])
      t.same(await ops('likes > $x and likes < $y', { x: 2, y: 5 }), [3, 4])
      t.same(await ops("title = 'even'"), [2, 4, 6])
      t.same(await ops(''), [1, 2, 3, 4, 5, 6])

      const page1 = await ask(c, { cmd: 'read', r: coll, cmdOpts: { limit: 2, ascending: true } })
      t.same(page1.body.items.map((i: { body: { likes: number } }) => i.body.likes), [1, 2])
      t.type(page1.body.tokens.nextToken, 'string')
      t.notOk(page1.body.tokens.prevToken)
      const page2 = await ask(c, { cmd: 'read', r: coll, cmdOpts: { limit: 2, ascending: true, paginationToken: page1.body.tokens.nextToken } })
      t.same(page2.body.items.map((i: { body: { likes: number } }) => i.body.likes), [3, 4])
      const back = await ask(c, { cmd: 'read', r: coll, cmdOpts: { limit: 2, ascending: true, paginationToken: page2.body.tokens.prevToken } })
      t.same(back.body.items.map((i: { body: { likes: number } }) => i.body.likes), [1, 2])
      const skipped = await ask(c, { cmd: 'read', r: coll, cmdOpts: { limit: 2, skip: 1 } })
      t.same(skipped.body.items.map((i: { body: { likes: number } }) => i.body.likes), [5, 4])
      const last = await ask(c, { cmd: 'read', r: coll, cmdOpts: { limit: 4, ascending: true, paginationToken: page1.body.tokens.nextToken } })
      t.same(last.body.items.map((i: { body: { likes: number } }) => i.body.likes), [3, 4, 5, 6])
      t.notOk(last.body.tokens.nextToken, 'no next page')

      const err = (cmdOpts: unknown, r = coll) => ask(c, { cmd: 'read', r, cmdOpts }).then((x) => x.error)
      t.match(await err({}, ids[0]), { code: 409, message: 'validation.failed' }, 'object R')
      t.match(await err({}, '/cars/'), { code: 404, message: 'model.unknown' })
      t.match(await err({ query: { filter: 'likes >', values: {} } }), { code: 409, errors: { 'obj.cmdOpts.query.filter': [{ msg: 'error.filter.syntax' }] } })
      t.match(await err({ query: { filter: 'likes > 1 or likes < 0' } }), { code: 409, message: 'validation.failed' })
      t.match(await err({ query: { filter: 'likes ~ 1' } }), { code: 409, message: 'validation.failed' })
      t.match(await err({ query: { filter: 'colour = 1' } }), { code: 409, errors: { 'obj.cmdOpts.query.filter': [{ msg: 'error.filter.unknown.field' }] } })
      t.match(await err({ query: { filter: 'likes = $n', values: {} } }), { code: 409, errors: { 'obj.cmdOpts.query.filter': [{ msg: 'error.filter.missing.value' }] } })
      t.match(await err({ query: { filter: 'likes = $n', values: { n: [1] } } }), { code: 409, message: 'validation.failed' })
      t.match(await err({ paginationToken: 'garbage' }), { code: 409, errors: { 'obj.cmdOpts.paginationToken': [{ msg: 'error.invalid' }] } })
      t.match(await err({ limit: 0 }), { code: 409, errors: { 'obj.cmdOpts.limit': [{ msg: 'error.invalid' }] } })
      t.match(await ask(c, { cmd: 'read' }), { tag, error: { code: 409, message: 'validation.failed' } })
    })
  })
}

t.test('a database failure answers 500 internal.server.error and keeps the connection', async (t) => {
  const app = await startReally(t)
  const c = await initialized(t, app)
  const { r } = await ask(c, { cmd: 'create', r: '/users/', body: { name: 'A' } })
  await app.app.services.database.close()
  t.same(await ask(c, { cmd: 'get', r }), { tag, r, error: { code: 500, message: 'internal.server.error' } })
  t.same(await ask(c, { cmd: 'create', r: '/users/', body: { name: 'B' } }), { tag, r: '/users/', error: { code: 500, message: 'internal.server.error' } })
  t.same(await ask(c, { cmd: 'ping' }), { tag, evt: 'pinged' })
})

t.test('a failed publish does not fail the write; a failed revocation check answers 500', async (t) => {
  const app = await startReally(t)
  const c = await initialized(t, app)
  const { hub, tokens } = app.app.services
  const publish = hub.publish
  hub.publish = async () => { throw new Error('broker down') }
  t.teardown(() => { hub.publish = publish })
  const { r } = await ask(c, { cmd: 'create', r: '/users/', body: { name: 'A' } })
  t.same(await ask(c, { cmd: 'update', r, rev: 1, body: { ops: [{ op: 'set', key: 'name', value: 'B' }] } }), { tag, r, rev: 2 })

  tokens.isUserRevoked = async () => { throw new Error('store down') }
  const login = await request(app.url, 'POST', '/auth/password/login/', { body: { username: 'alice', password: 'alice-pass' } })
  const other = await connect(t, app)
  t.same(await other.request({ tag: 1, cmd: 'initialize', accessToken: login.body.accessToken }), { tag: 1, error: { code: 500, message: 'internal.server.error' } })
})

/** Sends `count` pings in one TCP write: the server reads them all before it answers the first. */
function pipeline (c: WsClient, count: number): void {
  const socket = (c.ws as unknown as { _socket: import('node:net').Socket })._socket
  socket.cork()
  for (let i = 0; i < count; i++) c.send({ tag: i, cmd: 'ping' })
  socket.uncork()
}

async function pendingBound (t: Test, limit: number, really: Record<string, unknown> = {}): Promise<void> {
  const app = await startReally(t, really)
  const c = await initialized(t, app)
  pipeline(c, limit)
  for (let i = 0; i < limit; i++) {
    const reply = await c.json()
    if (reply.tag !== i) return void t.fail(`reply ${i} out of order: ${JSON.stringify(reply)}`)
  }
  t.pass(`${limit} pipelined requests answered in order`)
  pipeline(c, limit + 1)
  t.same(await c.closed(), { code: 1008, reason: 'too many pending requests' }, `${limit + 1} close the connection`)
}

t.test('too many pipelined requests close the connection: 256 are answered, 257 close', async (t) => {
  await pendingBound(t, 256)
})

t.test('the pipelining bound is protocols.really.maxPendingRequests', async (t) => {
  await pendingBound(t, 3, { maxPendingRequests: 3 })
})
