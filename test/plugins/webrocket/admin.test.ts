import t from 'tap'
import { login, request, startApp, TEST_API_KEY } from '../../helpers/app.js'
import { ALICE } from '../../helpers/config.js'
import { ECHO, client, nextTwo, upgradeStatus } from './fixture.js'
import { QUIET_LOCAL } from '../../helpers/quiet.js'

// Admin and publish REST (spec §2.8 c; design.md §3).

const apiKey = TEST_API_KEY
const withManager = {
  protocols: {
    webrocket: {
      vhosts: {
        ...ECHO,
        // alice is a core user (test config); as a MANAGE user of /echo she may administer /echo only.
        '/echo': { users: [...ECHO['/echo'].users, { name: 'alice', secret: 'x', permissions: ['MANAGE' as const] }] },
      },
    },
  },
}

t.test('vhosts: list, add, show, token, delete; credentials required', async (t) => {
  const { url, wsUrl } = await startApp(t, withManager)
  t.equal((await request(url, 'GET', '/api/webrocket/vhosts')).status, 401)
  t.equal((await request(url, 'GET', '/api/webrocket/vhosts', { apiKey: 'wrong-key-123' })).status, 401)
  const list = await request(url, 'GET', '/api/webrocket/vhosts', { apiKey })
  t.equal(list.status, 200)
  t.same(list.body, { vhosts: [{ path: '/echo', users: 5, channels: 0 }, { path: '/other', users: 1, channels: 0 }] })

  t.equal((await request(url, 'POST', '/api/webrocket/vhosts', { apiKey, body: { path: 'no-slash' } })).status, 400)
  t.equal((await request(url, 'POST', '/api/webrocket/vhosts', { apiKey, body: { path: '/echo' } })).status, 409)
  const created = await request(url, 'POST', '/api/webrocket/vhosts', {
    apiKey, body: { path: '/fresh', users: [{ name: 'u', secret: 's', permissions: ['READ', 'WRITE'] }] },
  })
  t.equal(created.status, 201)
  t.match(created.body, { path: '/fresh', accessToken: /^[0-9a-f]{40}$/ })

  // Usable at once.
  const ws = await client(wsUrl, '/webrocket/fresh', 'u', 's')
  t.same(await ws.request({ subscribe: { channel: 'c' } }), { subscribed: 'c' })

  const shown = await request(url, 'GET', '/api/webrocket/vhosts/fresh', { apiKey })
  t.same(shown.body, { path: '/fresh', users: [{ name: 'u', permissions: ['READ', 'WRITE'] }], channels: 1 })
  t.equal((await request(url, 'GET', '/api/webrocket/vhosts/nope', { apiKey })).status, 404)

  const token = await request(url, 'PUT', '/api/webrocket/vhosts/fresh/token', { apiKey })
  t.equal(token.status, 200)
  t.match(token.body, { accessToken: /^[0-9a-f]{40}$/ })
  t.not(token.body.accessToken, created.body.accessToken)
  t.equal((await request(url, 'PUT', '/api/webrocket/vhosts/nope/token', { apiKey })).status, 404)

  // The vhost access token opens that vhost's routes (a backend publishing to its own vhost).
  const vhostToken = (value: string) => ({ headers: { 'x-webrocket-token': value } })
  t.equal((await request(url, 'GET', '/api/webrocket/vhosts/fresh/channels', vhostToken(token.body.accessToken))).status, 200)
  t.equal((await request(url, 'POST', '/api/webrocket/vhosts/fresh/broadcast', { ...vhostToken(token.body.accessToken), body: { channel: 'c', event: 'tok' } })).status, 200)
  t.same(await ws.json(), { event: 'tok', channel: 'c' })
  t.equal((await request(url, 'GET', '/api/webrocket/vhosts/fresh/channels', vhostToken(created.body.accessToken))).status, 401, 'the old token is void')
  t.equal((await request(url, 'GET', '/api/webrocket/vhosts/echo/channels', vhostToken(token.body.accessToken))).status, 401, 'not another vhost')
  t.equal((await request(url, 'GET', '/api/webrocket/vhosts/nope/channels', vhostToken(token.body.accessToken))).status, 401)
  t.equal((await request(url, 'GET', '/api/webrocket/vhosts', vhostToken(token.body.accessToken))).status, 401, 'not the vhost-wide routes')

  // Deleting the vhost closes its connections and its endpoint.
  t.equal((await request(url, 'DELETE', '/api/webrocket/vhosts/fresh', { apiKey })).status, 204)
  t.equal((await ws.closed()).code, 1001)
  t.equal(await upgradeStatus(`${wsUrl}/webrocket/fresh`), 404)
  t.equal((await request(url, 'DELETE', '/api/webrocket/vhosts/fresh', { apiKey })).status, 404)

  // Created again: a new vhost, without the old users and channels.
  t.equal((await request(url, 'POST', '/api/webrocket/vhosts', { apiKey, body: { path: '/fresh' } })).status, 201)
  const again = await client(wsUrl, '/webrocket/fresh')
  t.same(await again.request({ authenticate: { user: 'u', secret: 's' } }), { err: 'USER_NOT_FOUND' })
  again.close()

  // An admin's Bearer token is service access too.
  const admin = await login(url)
  t.equal((await request(url, 'GET', '/api/webrocket/vhosts', { token: admin })).status, 200)
})

t.test('users: add, replace, remove; sessions follow', async (t) => {
  const { url, wsUrl } = await startApp(t, withManager)
  const users = await request(url, 'GET', '/api/webrocket/vhosts/other/users', { apiKey })
  t.same(users.body, { users: [{ name: 'back', permissions: ['READ', 'WRITE'] }] })
  t.equal((await request(url, 'GET', '/api/webrocket/vhosts/nope/users', { apiKey })).status, 404)

  const added = await request(url, 'POST', '/api/webrocket/vhosts/other/users', { apiKey, body: { name: 'neo', secret: 'matrix', permissions: ['READ', 'WRITE'] } })
  t.equal(added.status, 201)
  t.same(added.body, { name: 'neo', permissions: ['READ', 'WRITE'] })
  t.equal((await request(url, 'POST', '/api/webrocket/vhosts/other/users', { apiKey, body: { name: 'neo' } })).status, 409)
  t.equal((await request(url, 'POST', '/api/webrocket/vhosts/other/users', { apiKey, body: { name: 'x', permissions: ['ROOT'] } })).status, 400)
  const anyone = await request(url, 'POST', '/api/webrocket/vhosts/other/users', { apiKey, body: { name: 'anyone' } })
  t.same(anyone.body, { name: 'anyone', permissions: ['READ'] }, 'defaults: READ, any secret')

  const neo = await client(wsUrl, '/webrocket/other', 'neo', 'matrix')
  t.same(await neo.request({ subscribe: { channel: 'c' } }), { subscribed: 'c' })
  neo.send({ broadcast: { event: 'e', channel: 'c' } })
  t.same(await nextTwo(neo), [{ broadcasted: 'c' }, { event: 'e', channel: 'c' }])
  t.same(await (await client(wsUrl, '/webrocket/other')).request({ authenticate: { user: 'anyone', secret: 'zzz' } }), { authenticated: 'anyone' })

  // Replacing a user changes what its open sessions may do, and its secret.
  const replaced = await request(url, 'PUT', '/api/webrocket/vhosts/other/users/neo', { apiKey, body: { secret: 'zion', permissions: ['READ'] } })
  t.equal(replaced.status, 200)
  t.same(await neo.request({ broadcast: { event: 'e', channel: 'c' } }), { err: 'ACCESS_DENIED' })
  t.same(await neo.request({ authenticate: { user: 'neo', secret: 'matrix' } }), { err: 'INVALID_CREDENTIALS' })
  t.same(await neo.request({ authenticate: { user: 'neo', secret: 'zion' } }), { authenticated: 'neo' })
  const put = await request(url, 'PUT', '/api/webrocket/vhosts/other/users/trinity', { apiKey, body: { secret: 't', permissions: ['WRITE', 'READ'] } })
  t.equal(put.status, 201)
  t.same(put.body, { name: 'trinity', permissions: ['READ', 'WRITE'] })

  // Removing a user closes its connections.
  t.equal((await request(url, 'DELETE', '/api/webrocket/vhosts/other/users/neo', { apiKey })).status, 204)
  t.equal((await neo.closed()).code, 1008)
  t.equal((await request(url, 'DELETE', '/api/webrocket/vhosts/other/users/neo', { apiKey })).status, 404)
  t.same(await (await client(wsUrl, '/webrocket/other')).request({ authenticate: { user: 'neo', secret: 'zion' } }), { err: 'USER_NOT_FOUND' })
})

t.test('channels and server-side broadcast', async (t) => {
  const { app, url, wsUrl } = await startApp(t, withManager)
  t.same((await request(url, 'GET', '/api/webrocket/vhosts/echo/channels', { apiKey })).body, { channels: [] })
  const add = await request(url, 'POST', '/api/webrocket/vhosts/echo/channels', { apiKey, body: { name: 'news' } })
  t.equal(add.status, 201)
  t.equal((await request(url, 'POST', '/api/webrocket/vhosts/echo/channels', { apiKey, body: { name: 'news' } })).status, 200)
  t.equal((await request(url, 'POST', '/api/webrocket/vhosts/nope/channels', { apiKey, body: { name: 'news' } })).status, 404)
  t.equal((await request(url, 'POST', '/api/webrocket/vhosts/echo/channels', { apiKey, body: { name: 'brief' } })).status, 201)
  t.equal((await request(url, 'DELETE', '/api/webrocket/vhosts/echo/channels/brief', { apiKey })).status, 204, 'never used on this node')

  // A channel made through REST exists for clients (broadcast needs no subscribe first).
  const back = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  t.same(await back.request({ broadcast: { event: 'e', channel: 'news' } }), { broadcasted: 'news' })
  const front = await client(wsUrl, '/webrocket/echo', 'front', 'read-secret')
  t.same(await front.request({ subscribe: { channel: 'news' } }), { subscribed: 'news' })
  t.same(await front.request({ subscribe: { channel: 'sport' } }), { subscribed: 'sport' })
  t.same((await request(url, 'GET', '/api/webrocket/vhosts/echo/channels', { apiKey })).body, { channels: ['news', 'sport'] })

  const sent = await request(url, 'POST', '/api/webrocket/vhosts/echo/broadcast', { apiKey, body: { channel: 'news', event: 'flash', data: { n: 1 } } })
  t.equal(sent.status, 200)
  t.same(sent.body, { broadcasted: 'news' })
  t.equal(await front.next(), '{"event":"flash","channel":"news","data":{"n":1}}')
  t.equal((await request(url, 'POST', '/api/webrocket/vhosts/echo/broadcast', { apiKey, body: { channel: 'none', event: 'x' } })).status, 404)
  // The same from inside the process (spec §2.8 decision, `fastify.webrocket.broadcast`).
  t.equal(await app.webrocket.broadcast('/echo', 'news', 'inproc', { y: 2 }), true)
  t.same(await front.json(), { event: 'inproc', channel: 'news', data: { y: 2 } })
  t.equal(await app.webrocket.broadcast('/echo', 'none', 'inproc'), false)
  t.equal(await app.webrocket.broadcast('/nope', 'news', 'inproc'), false)
  t.equal((await request(url, 'POST', '/api/webrocket/vhosts/nope/broadcast', { apiKey, body: { channel: 'news', event: 'x' } })).status, 404)
  t.equal((await request(url, 'POST', '/api/webrocket/vhosts/echo/broadcast', { apiKey, body: { channel: 'news' } })).status, 400)
  // Vhost isolation on the REST side too.
  t.equal((await request(url, 'POST', '/api/webrocket/vhosts/other/broadcast', { apiKey, body: { channel: 'news', event: 'x' } })).status, 404)

  // Deleting a channel: its subscribers stop receiving it, clients see CHANNEL_NOT_FOUND.
  t.equal((await request(url, 'DELETE', '/api/webrocket/vhosts/echo/channels/news', { apiKey })).status, 204)
  t.equal((await request(url, 'DELETE', '/api/webrocket/vhosts/echo/channels/news', { apiKey })).status, 404)
  t.same(await back.request({ broadcast: { event: 'e', channel: 'news' } }), { err: 'CHANNEL_NOT_FOUND' })
  t.same(await front.request({ unsubscribe: { channel: 'news' } }), { err: 'CHANNEL_NOT_FOUND' })
  t.same(await back.request({ subscribe: { channel: 'news' } }), { subscribed: 'news' }, 'subscribe creates it again')
  back.send({ broadcast: { event: 'e2', channel: 'news' } })
  t.same(await nextTwo(back), [{ broadcasted: 'news' }, { event: 'e2', channel: 'news' }])
  await front.expectNothing(QUIET_LOCAL)

  // Clearing every channel.
  t.equal((await request(url, 'DELETE', '/api/webrocket/vhosts/echo/channels', { apiKey })).status, 204)
  t.same((await request(url, 'GET', '/api/webrocket/vhosts/echo/channels', { apiKey })).body, { channels: [] })
  t.same(await back.request({ broadcast: { event: 'e', channel: 'sport' } }), { err: 'CHANNEL_NOT_FOUND' })
  t.same(await back.request({ subscribe: { channel: 'sport' } }), { subscribed: 'sport' })
  back.send({ broadcast: { event: 'e3', channel: 'sport' } })
  t.same(await nextTwo(back), [{ broadcasted: 'sport' }, { event: 'e3', channel: 'sport' }])
  await front.expectNothing(QUIET_LOCAL)
  front.close()
  back.close()
})

t.test('a MANAGE user administers its own vhost only', async (t) => {
  const { url, wsUrl } = await startApp(t, withManager)
  const alice = await login(url, ALICE)
  t.equal((await request(url, 'GET', '/api/webrocket/vhosts/echo', { token: alice })).status, 200)
  t.equal((await request(url, 'GET', '/api/webrocket/vhosts/echo/users', { token: alice })).status, 200)
  t.equal((await request(url, 'POST', '/api/webrocket/vhosts/echo/channels', { token: alice, body: { name: 'ops' } })).status, 201)
  const front = await client(wsUrl, '/webrocket/echo', 'front', 'read-secret')
  t.same(await front.request({ subscribe: { channel: 'ops' } }), { subscribed: 'ops' })
  t.equal((await request(url, 'POST', '/api/webrocket/vhosts/echo/broadcast', { token: alice, body: { channel: 'ops', event: 'hi' } })).status, 200)
  t.same(await front.json(), { event: 'hi', channel: 'ops' })
  t.equal((await request(url, 'PUT', '/api/webrocket/vhosts/echo/users/helper', { token: alice, body: { permissions: ['READ'] } })).status, 201)

  // Not another vhost, not an unknown one, not the vhost-wide routes.
  t.equal((await request(url, 'GET', '/api/webrocket/vhosts/other', { token: alice })).status, 403)
  t.equal((await request(url, 'POST', '/api/webrocket/vhosts/other/broadcast', { token: alice, body: { channel: 'ops', event: 'hi' } })).status, 403)
  t.equal((await request(url, 'GET', '/api/webrocket/vhosts/nope', { token: alice })).status, 403)
  t.equal((await request(url, 'GET', '/api/webrocket/vhosts', { token: alice })).status, 403)
  t.equal((await request(url, 'POST', '/api/webrocket/vhosts', { token: alice, body: { path: '/mine' } })).status, 403)
  t.equal((await request(url, 'DELETE', '/api/webrocket/vhosts/echo', { token: alice })).status, 403)

  // Without MANAGE any more, alice is refused on her vhost too.
  t.equal((await request(url, 'PUT', '/api/webrocket/vhosts/echo/users/alice', { token: alice, body: { permissions: ['READ'] } })).status, 200)
  t.equal((await request(url, 'GET', '/api/webrocket/vhosts/echo', { token: alice })).status, 403)
  front.close()
})
