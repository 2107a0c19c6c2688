import { createServer } from 'node:http'
import t, { type Test } from 'tap'
import { request, sharedClusterOverrides, TEST_API_KEY, type RunningApp } from '../../helpers/app.js'
import { ADMIN, ALICE } from '../../helpers/config.js'
import type { WsClient } from '../../helpers/ws-client.js'
import { anonymousToken, connect, initialized, startReally } from './helpers.js'

// Issue 16 for Really (plugins/really/README.md "Authorization"): two nodes sharing Redis and
// PostgreSQL; what one node writes, the other delivers only to those the rules allow.

const MODELS = {
  '/notes/': { fields: { text: { type: 'string' } } },
  '/secrets/': { fields: { text: { type: 'string' } } },
  '/hooked/': { fields: { text: { type: 'string' } } },
}

const user = (username: string, roles: string[] = []) => ({ username, password: `${username}-pass`, admin: false, email: null, roles })
const USERS = [
  { ...ADMIN, admin: true, email: null },
  { ...ALICE, admin: false, email: null },
  user('bob'),
  user('kim', ['ops']),
  user('lee', ['ops']),
  user('max', ['ops']),
]

const RULES = {
  defaults: { really: 'deny' },
  rules: [
    { protocol: 'really', resource: '/notes/*', actions: ['update', 'delete'], allow: ['owner', 'role:admin'] },
    { protocol: 'really', resource: '/notes/*', actions: ['read', 'create'], allow: ['anyone'] },
    { protocol: 'really', resource: '/notes/*', actions: ['subscribe'], allow: ['authenticated'] },
    { protocol: 'really', resource: '/secrets/*', actions: ['read', 'create', 'update', 'subscribe'], allow: ['role:ops'] },
  ],
}

const FORBIDDEN = { code: 403, message: 'forbidden' }
const set = (value: string) => ({ ops: [{ op: 'set', key: 'text', value }] })

let tag = 0
const ask = (client: WsClient, frame: Record<string, unknown>) => client.request({ tag: ++tag, ...frame })

async function passwordToken (app: RunningApp, username: string): Promise<string> {
  const login = await request(app.url, 'POST', '/auth/password/login/', { body: { username, password: `${username}-pass` } })
  if (login.status !== 200) throw new Error(`login ${username}: ${login.status}`)
  return login.body.accessToken as string
}

/** Two nodes with the rules above, sharing Redis and PostgreSQL. */
async function cluster (t: Test, access: Record<string, unknown> = RULES): Promise<[RunningApp, RunningApp]> {
  const overrides = { ...await sharedClusterOverrides(t), users: USERS, access }
  return [await startReally(t, { models: MODELS }, overrides), await startReally(t, { models: MODELS }, overrides)]
}

t.test('rules and owners on two nodes', async (t) => {
  const [a, b] = await cluster(t)
  const signIn = async (app: RunningApp, username: string | null) => initialized(t, app, username === null ? await anonymousToken(app.url) : await passwordToken(app, username))
  const alice = await signIn(a, 'alice')
  const anonymous = await signIn(b, null)
  const bob = await signIn(b, 'bob')
  const admin = await signIn(b, 'admin')

  t.test('an anonymous token cannot update what a user created; a user cannot delete another\'s', async (t) => {
    const { r } = await ask(alice, { cmd: 'create', r: '/notes/', body: { text: 'mine' } })
    t.match(await ask(anonymous, { cmd: 'get', r }), { r, body: { text: 'mine' } }, 'read: anyone')
    t.same(await ask(anonymous, { cmd: 'update', r, rev: 1, body: set('x') }), { tag, r, error: FORBIDDEN }, 'Really\'s 403 error shape, with the R')
    t.same(await ask(anonymous, { cmd: 'delete', r }), { tag, r, error: FORBIDDEN })
    t.same(await ask(bob, { cmd: 'delete', r }), { tag, r, error: FORBIDDEN })
    t.same(await ask(bob, { cmd: 'update', r, rev: 1, body: set('x') }), { tag, r, error: FORBIDDEN })
    t.match(await ask(anonymous, { cmd: 'get', r }), { body: { text: 'mine', _rev: 1 } }, 'nothing was written')
    t.same(await ask(bob, { cmd: 'update', r: '/notes/999999999', rev: 1, body: set('x') }), { tag, r: '/notes/999999999/', error: FORBIDDEN },
      'denied before looking: a missing object is not told apart')

    t.same(await ask(alice, { cmd: 'update', r, rev: 1, body: set('edited') }), { tag, r, rev: 2 }, 'the owner can, from the other node')
    t.same(await ask(admin, { cmd: 'update', r, rev: 2, body: set('moderated') }), { tag, r, rev: 3 }, 'role:admin can')
    t.same(await ask(alice, { cmd: 'delete', r }), { tag, r }, 'the owner deletes')

    const other = await ask(bob, { cmd: 'create', r: '/notes/', body: { text: 'bob\'s' } })
    t.same(await ask(alice, { cmd: 'delete', r: other.r }), { tag, r: other.r, error: FORBIDDEN })
    t.same(await ask(admin, { cmd: 'delete', r: other.r }), { tag, r: other.r }, 'role:admin deletes another\'s')
  })

  t.test('anonymous tokens own nothing, not even what they created', async (t) => {
    const { r } = await ask(anonymous, { cmd: 'create', r: '/notes/', body: { text: 'anon' } })
    t.same(await ask(anonymous, { cmd: 'update', r, rev: 1, body: set('x') }), { tag, r, error: FORBIDDEN })
    t.same(await ask(admin, { cmd: 'delete', r }), { tag, r })
  })

  t.test('collections: read and create on the collection R; an allowed read returns its objects', async (t) => {
    const kim = await signIn(a, 'kim')
    const { r } = await ask(kim, { cmd: 'create', r: '/secrets/', body: { text: 's1' } })
    t.same(await ask(alice, { cmd: 'create', r: '/secrets/', body: { text: 'no' } }), { tag, r: '/secrets/*/', error: FORBIDDEN })
    t.same(await ask(bob, { cmd: 'read', r: '/secrets/' }), { tag, r: '/secrets/*/', error: FORBIDDEN })
    t.same(await ask(bob, { cmd: 'get', r }), { tag, r, error: FORBIDDEN })
    t.match((await ask(kim, { cmd: 'read', r: '/secrets/' })).body.items, [{ body: { _r: r, text: 's1' } }])
    t.same(await ask(kim, { cmd: 'delete', r }), { tag, r, error: FORBIDDEN }, 'no rule matched: the default (deny)')
    t.match((await ask(anonymous, { cmd: 'read', r: '/notes/', cmdOpts: { limit: 1000 } })).body.items.length, Number, 'anyone reads /notes/')
  })

  t.test('writer on A, subscribers on B: only the allowed ones receive', async (t) => {
    const kim = await signIn(a, 'kim')
    const lee = await signIn(b, 'lee')
    const { r } = await ask(kim, { cmd: 'create', r: '/secrets/', body: { text: 'v1' } })

    t.same(await ask(lee, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 1 }, { r: '/secrets/', rev: 0 }] } }), { tag, body: { subscriptions: [r, '/secrets/*/'] } })
    t.same(await ask(bob, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 1 }, { r: '/secrets/', rev: 0 }] } }), { tag, body: { subscriptions: [] } }, 'denied Rs are left out')
    t.same(await bob.json(), { r, evt: 'failed', error: FORBIDDEN })
    t.same(await bob.json(), { r: '/secrets/*/', evt: 'failed', error: FORBIDDEN })
    t.same(await ask(anonymous, { cmd: 'read', r: '/secrets/', cmdOpts: { subscribe: true } }), { tag, r: '/secrets/*/', error: FORBIDDEN }, 'read with subscribe: read is asked first')

    t.same(await ask(kim, { cmd: 'update', r, rev: 1, body: set('v2') }), { tag, r, rev: 2 })
    t.match(await lee.json(), { r, rev: 2, evt: 'updated', body: { text: { value: 'v2' } } }, 'allowed subscriber on B')
    const created = await ask(kim, { cmd: 'create', r: '/secrets/', body: { text: 'new' } })
    t.match(await lee.json(), { r: '/secrets/*/', evt: 'created', body: { _r: created.r } })
    // Both are on B: the hub handed B's copy to every subscriber before lee's push was written.
    await bob.expectNothing()
    await anonymous.expectNothing()

    const note = await ask(alice, { cmd: 'create', r: '/notes/', body: { text: 'n' } })
    t.same(await ask(anonymous, { cmd: 'subscribe', body: { subscriptions: [{ r: note.r, rev: 1 }] } }), { tag, body: { subscriptions: [] } })
    t.same(await anonymous.json(), { r: note.r, evt: 'failed', error: FORBIDDEN }, 'subscribe: authenticated only')
    t.same(await ask(bob, { cmd: 'subscribe', body: { subscriptions: [{ r: note.r, rev: 1 }] } }), { tag, body: { subscriptions: [note.r] } })
    await ask(alice, { cmd: 'update', r: note.r, rev: 1, body: set('n2') })
    t.match(await bob.json(), { r: note.r, rev: 2, evt: 'updated' })
    await anonymous.expectNothing()
  })

  t.test('a role removed on A ends the subscriptions it allowed on B within a second', async (t) => {
    const max = await signIn(b, 'max')
    const lee = await signIn(a, 'lee')
    const { r } = await ask(lee, { cmd: 'create', r: '/secrets/', body: { text: 'r1' } })
    t.same(await ask(max, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 1 }, { r: '/secrets/', rev: 0 }, { r: '/notes/', rev: 0 }] } }).then((x) => x.body.subscriptions), [r, '/secrets/*/', '/notes/*/'])

    const started = Date.now()
    t.equal((await request(a.url, 'PUT', '/api/admin/users/max/roles', { apiKey: TEST_API_KEY, body: { roles: [] } })).status, 200)
    const ended = [await max.json(1500), await max.json(1500)]
    t.ok(Date.now() - started < 1500, `told within ${Date.now() - started} ms`)
    t.same(ended.sort((x, y) => x.r.localeCompare(y.r)), [{ r: '/secrets/*/', evt: 'failed', error: FORBIDDEN }, { r, evt: 'failed', error: FORBIDDEN }])

    await ask(lee, { cmd: 'update', r, rev: 1, body: set('r2') })
    const note = await ask(alice, { cmd: 'create', r: '/notes/', body: { text: 'still' } })
    t.match(await max.json(), { r: '/notes/*/', evt: 'created', body: { _r: note.r } }, 'what the rules still allow goes on')
    await max.expectNothing()
    t.same(await ask(max, { cmd: 'get', r }), { tag, r, error: FORBIDDEN }, 'and new attempts are denied')
  })
})

t.test('narrowed tokens (POST /api/auth/tokens) on Really', async (t) => {
  const [a, b] = await cluster(t)
  const mint = async (body: Record<string, unknown>): Promise<string> => {
    const minted = await request(a.url, 'POST', '/api/auth/tokens', { apiKey: TEST_API_KEY, body })
    if (minted.status !== 200) throw new Error(`mint: ${minted.status} ${JSON.stringify(minted.body)}`)
    return minted.body.access_token as string
  }
  const kim = await initialized(t, a, await passwordToken(a, 'kim'))
  const { r: secret } = await ask(kim, { cmd: 'create', r: '/secrets/', body: { text: 's' } })

  t.test('channels: only the resources the claim names, on top of the rules', async (t) => {
    const client = await connect(t, b)
    const token = await mint({ username: 'kim', channels: ['really:/notes/**'] })
    t.match(await client.request({ tag: 1, cmd: 'initialize', accessToken: token }), { evt: 'initialized', body: { authType: 'password', uid: 'kim' } })
    t.same(await ask(client, { cmd: 'get', r: secret }), { tag, r: secret, error: FORBIDDEN }, 'kim holds ops, the token does not reach /secrets')
    const { r } = await ask(client, { cmd: 'create', r: '/notes/', body: { text: 'by a narrowed token' } })
    t.same(await ask(client, { cmd: 'update', r, rev: 1, body: set('x') }), { tag, r, rev: 2 }, 'what it created is kim\'s')
    t.same(await ask(kim, { cmd: 'delete', r }), { tag, r }, 'owned by kim, whatever token kim used')
    t.same(await ask(client, { cmd: 'subscribe', body: { subscriptions: [{ r: '/secrets/', rev: 0 }, { r: '/notes/', rev: 0 }] } }), { tag, body: { subscriptions: ['/notes/*/'] } })
    t.same(await client.json(), { r: '/secrets/*/', evt: 'failed', error: FORBIDDEN })
  })

  t.test('roles: only those the token keeps', async (t) => {
    const client = await initialized(t, b, await mint({ username: 'kim', roles: [] }))
    t.same(await ask(client, { cmd: 'read', r: '/secrets/' }), { tag, r: '/secrets/*/', error: FORBIDDEN })
    const full = await initialized(t, b, await mint({ username: 'kim', roles: ['ops'] }))
    t.match(await ask(full, { cmd: 'get', r: secret }), { r: secret, body: { text: 's' } })
  })

  t.test('revoking the token on A ends its Really connection on B', async (t) => {
    const token = await mint({ username: 'kim', channels: ['really:/notes/**'] })
    const client = await initialized(t, b, token)
    const untouched = await initialized(t, b, await mint({ username: 'kim' }))
    t.equal((await request(a.url, 'POST', '/oauth2/revoke_token/', { form: { token, client_id: 'das_web_client' } })).status, 200)
    t.same(await client.json(), { evt: 'token-expired' })
    await client.closed()
    t.equal((await ask(untouched, { cmd: 'ping' })).evt, 'pinged', 'another token of the user is not revoked')
    const again = await connect(t, a)
    t.same(await again.request({ tag: 7, cmd: 'initialize', accessToken: token }), { tag: 7, error: { code: 401, message: 'token.invalid' } })
  })
})

t.test('the authorize hook decides what no rule matched', async (t) => {
  const asked: Array<Record<string, unknown>> = []
  let bobAllowed = true
  const server = createServer((req, res) => {
    let raw = ''
    req.on('data', (chunk) => { raw += chunk })
    req.on('end', () => {
      const question = JSON.parse(raw) as Record<string, unknown>
      asked.push(question)
      // Users may do anything under /hooked (bob while bobAllowed); anonymous callers nothing.
      const allow = question.user !== null && (question.user !== 'bob' || bobAllowed)
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ allow }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) }))
  const authorizeUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/authorize`
  const [a, b] = await cluster(t, { rules: [{ protocol: 'really', resource: '/notes/**', actions: ['read', 'create', 'subscribe'], allow: ['anyone'] }], authorizeUrl, timeout: '1s', cacheTtl: 0 })

  const alice = await initialized(t, a, await passwordToken(a, 'alice'))
  const bob = await initialized(t, b, await passwordToken(b, 'bob'))
  const anonymous = await initialized(t, b)
  const { r } = await ask(alice, { cmd: 'create', r: '/hooked/', body: { text: 'h1' } })
  t.match(r, /^\/hooked\/\d+\/$/, 'the hook allowed a user')
  t.match(asked[0], { protocol: 'really', action: 'create', resource: '/hooked/*', user: 'alice', roles: [] }, 'the resource as rules see it')
  t.same(await ask(anonymous, { cmd: 'create', r: '/hooked/', body: { text: 'no' } }), { tag, r: '/hooked/*/', error: FORBIDDEN }, 'the hook denied anonymous')

  t.same(await ask(bob, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 1 }] } }), { tag, body: { subscriptions: [r] } })
  t.same(await ask(anonymous, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 1 }] } }), { tag, body: { subscriptions: [] } })
  t.same(await anonymous.json(), { r, evt: 'failed', error: FORBIDDEN })
  t.same(await ask(alice, { cmd: 'update', r, rev: 1, body: set('h2') }), { tag, r, rev: 2 })
  t.match(await bob.json(), { r, rev: 2, evt: 'updated' })
  await anonymous.expectNothing()
  t.match(asked.find((q) => q.action === 'subscribe' && q.user === 'bob'), { resource: r.slice(0, -1) }, 'an object as /hooked/<id>')

  bobAllowed = false
  const kim = await initialized(t, b, await passwordToken(b, 'kim'))
  t.same(await ask(kim, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 2 }] } }), { tag, body: { subscriptions: [r] } })
  t.same(await ask(bob, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 2 }] } }), { tag, body: { subscriptions: [] } }, 'asked again, now denied')
  t.same(await bob.json(), { r, evt: 'failed', error: FORBIDDEN })
  await ask(alice, { cmd: 'update', r, rev: 2, body: set('h3') })
  t.match(await kim.json(), { r, rev: 3, evt: 'updated' })
  await bob.expectNothing()

  const before = asked.length
  await ask(anonymous, { cmd: 'create', r: '/notes/', body: { text: 'a rule matched' } })
  t.equal(asked.length, before, 'rules settle what they match without the hook')
})
