import t from 'tap'
import { login, request, sharedClusterOverrides, startApp, TEST_API_KEY, type RunningApp } from '../../helpers/app.js'
import { authorizeHook } from '../../helpers/authorize-hook.js'
import { ADMIN } from '../../helpers/config.js'
import { QUIET_CLUSTER } from '../../helpers/quiet.js'
import type { PermissionName } from '../../../plugins/webrocket/permissions.js'
import { client, nextTwo, type Teardown } from './fixture.js'

// Issue 16 on WebRocket (README "Authorization", plugin README "Authorization"): the resource is
// `/vhost/channel`; subscribe, broadcast and the REST broadcast ask the authorizer; two nodes over
// Redis and PostgreSQL, publishers on node A, subscribers on node B.

const VHOSTS: Record<string, { users: Array<{ name: string, secret: string, permissions: PermissionName[] }> }> = {
  '/echo': {
    users: [
      { name: 'front', secret: 'front-secret', permissions: ['READ'] },
      { name: 'back', secret: 'back-secret', permissions: ['READ', 'WRITE'] },
      { name: 'boss', secret: 'boss-secret', permissions: ['READ', 'WRITE', 'MANAGE'] },
    ],
  },
}
const BOSS = { username: 'boss', password: 'boss-pass' }
const USERS = [
  { ...ADMIN, admin: true, email: null, roles: [] },
  // Core users named like vhost users: `boss` manages /echo over REST; `back`'s role must not reach the vhost user.
  { ...BOSS, admin: false, email: null, roles: [] },
  { username: 'back', password: 'back-pass', admin: false, email: null, roles: ['ops'] },
]
const RULES = [
  { protocol: 'webrocket', resource: '/echo/private-*', actions: ['subscribe', 'publish'], allow: ['user:boss'] },
  { protocol: 'webrocket', resource: '/echo/ops-*', actions: ['subscribe'], allow: ['role:ops'] },
  { protocol: 'webrocket', resource: '/echo/readonly', actions: ['publish'], allow: [] },
]

async function cluster (t: Teardown, access: Record<string, unknown> = { rules: RULES }, webrocket: Record<string, unknown> = {}): Promise<[RunningApp, RunningApp]> {
  const overrides = { ...(await sharedClusterOverrides(t)), protocols: { webrocket: { vhosts: VHOSTS, ...webrocket } }, users: USERS, access }
  // One after the other, so the second node finds the schema migrated.
  const a = await startApp(t, overrides)
  return [a, await startApp(t, overrides)]
}

const as = (node: RunningApp, user: 'front' | 'back' | 'boss') => client(node.wsUrl, '/webrocket/echo', user, `${user}-secret`)
const channels = async (node: RunningApp): Promise<string[]> =>
  (await request(node.url, 'GET', '/api/webrocket/vhosts/echo/channels', { apiKey: TEST_API_KEY })).body.channels
const restBroadcast = (node: RunningApp, auth: { apiKey?: string, token?: string }, channel: string) =>
  request(node.url, 'POST', '/api/webrocket/vhosts/echo/broadcast', { ...auth, body: { channel, event: 'rest', data: auth.apiKey ? 'key' : 'bearer' } })

t.test('subscribe, broadcast and REST broadcast: denied and allowed, across nodes', async (t) => {
  const [a, b] = await cluster(t)
  const bossOnB = await as(b, 'boss')
  const backOnB = await as(b, 'back')
  t.same(await backOnB.request({ subscribe: { channel: 'private-x' } }), { err: 'ACCESS_DENIED' }, 'the rules deny: the access error of §2.5')
  t.notOk((await channels(a)).includes('private-x'), 'a denied subscribe creates no channel')
  t.same(await bossOnB.request({ subscribe: { channel: 'private-x' } }), { subscribed: 'private-x' })
  t.same(await backOnB.request({ subscribe: { channel: 'news' } }), { subscribed: 'news' }, 'what no rule names: the default (allow)')
  t.same(await backOnB.request({ subscribe: { channel: 'ops-1' } }), { err: 'ACCESS_DENIED' },
    'a vhost user holds no roles, whatever a core user of the same name holds')

  const backOnA = await as(a, 'back')
  const bossOnA = await as(a, 'boss')
  t.same(await backOnA.request({ broadcast: { event: 'e', channel: 'private-x', data: 1 } }), { err: 'ACCESS_DENIED' })
  t.same(await backOnA.request({ broadcast: { event: 'e', channel: 'readonly' } }), { err: 'ACCESS_DENIED' },
    'denied before the channel is looked up (it does not exist): nothing learnt about channels')
  t.same(await bossOnA.request({ broadcast: { event: 'e', channel: 'private-x', data: 2 } }), { broadcasted: 'private-x' })
  t.same(await bossOnB.json(), { event: 'e', channel: 'private-x', data: 2 }, 'delivered on node B')
  t.same(await backOnA.request({ broadcast: { event: 'e', channel: 'news', data: 3 } }), { broadcasted: 'news' })
  t.same(await backOnB.json(), { event: 'e', channel: 'news', data: 3 })

  t.equal((await restBroadcast(a, { apiKey: TEST_API_KEY }, 'private-x')).status, 200, 'an API key is not held to the rules')
  t.same(await bossOnB.json(), { event: 'rest', channel: 'private-x', data: 'key' })
  const admin = await restBroadcast(a, { token: await login(a.url, ADMIN) }, 'private-x')
  t.equal(admin.status, 403, 'an admin bearer is: user:boss only')
  t.match(admin.body, { message: 'not allowed to publish on this channel' })
  t.equal((await restBroadcast(a, { token: await login(a.url, BOSS) }, 'private-x')).status, 200, 'the core user boss (a MANAGE user of /echo) is allowed')
  t.same(await bossOnB.json(), { event: 'rest', channel: 'private-x', data: 'bearer' })
  await Promise.all([bossOnB.expectNothing(QUIET_CLUSTER), backOnB.expectNothing(QUIET_CLUSTER)])
})

t.test('createChannels: MANAGE: only a MANAGE user creates channels by subscribing', async (t) => {
  const [a, b] = await cluster(t, { rules: [] }, { createChannels: 'MANAGE' })
  const front = await as(b, 'front')
  const back = await as(b, 'back')
  t.same(await front.request({ subscribe: { channel: 'fresh' } }), { err: 'ACCESS_DENIED' }, 'READ: no channel created')
  t.same(await back.request({ subscribe: { channel: 'fresh' } }), { err: 'ACCESS_DENIED' }, 'READ and WRITE: neither')
  t.same(await channels(a), [])
  const boss = await as(a, 'boss')
  t.same(await boss.request({ subscribe: { channel: 'fresh' } }), { subscribed: 'fresh' }, 'MANAGE creates it')
  t.same(await front.request({ subscribe: { channel: 'fresh' } }), { subscribed: 'fresh' }, 'READ joins an existing channel, on the other node too')
  boss.send({ broadcast: { event: 'e', channel: 'fresh' } })
  t.same(await nextTwo(boss), [{ broadcasted: 'fresh' }, { event: 'e', channel: 'fresh' }])
  t.same(await front.json(), { event: 'e', channel: 'fresh' })
})

t.test('the authorize hook allows and denies what no rule settles, subscribe and broadcast alike', async (t) => {
  const { url, asked } = await authorizeHook(t, (question) => question.resource.startsWith('/echo/yes-'))
  const [a, b] = await cluster(t, { rules: RULES, authorizeUrl: url })
  const onB = await as(b, 'back')
  t.same(await onB.request({ subscribe: { channel: 'yes-1' } }), { subscribed: 'yes-1' })
  t.same(await onB.request({ subscribe: { channel: 'no-1' } }), { err: 'ACCESS_DENIED' })
  t.match(asked, [
    { protocol: 'webrocket', action: 'subscribe', resource: '/echo/yes-1', user: 'back', roles: [], connectionId: String },
    { protocol: 'webrocket', action: 'subscribe', resource: '/echo/no-1', user: 'back' },
  ])
  const onA = await as(a, 'back')
  t.same(await onA.request({ broadcast: { event: 'e', channel: 'yes-1' } }), { broadcasted: 'yes-1' })
  t.same(await onB.json(), { event: 'e', channel: 'yes-1' })
  t.same(await onA.request({ broadcast: { event: 'e', channel: 'no-1' } }), { err: 'ACCESS_DENIED' })
  t.match(asked.slice(2), [{ action: 'publish', resource: '/echo/yes-1' }, { action: 'publish', resource: '/echo/no-1' }])
  t.same(await onB.request({ subscribe: { channel: 'private-x' } }), { err: 'ACCESS_DENIED' }, 'a rule settles it: not asked')
  t.equal(asked.length, 4)
  await onB.expectNothing(QUIET_CLUSTER)
})
