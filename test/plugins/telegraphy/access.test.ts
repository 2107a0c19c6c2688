import t from 'tap'
import { login, request, sharedClusterOverrides, startApp, TEST_API_KEY, type RunningApp } from '../../helpers/app.js'
import { authorizeHook } from '../../helpers/authorize-hook.js'
import { ADMIN, ALICE } from '../../helpers/config.js'
import { QUIET_CLUSTER } from '../../helpers/quiet.js'
import { eventually } from '../../helpers/ws-client.js'
import { emit, frames, open, subscribe, telegraphyOverrides } from './helpers.js'

// Issue 16 on Telegraphy (README "Authorization", plugin README "Authorization"): the resource is
// the event name; SUBSCRIBE and the REST emit ask the authorizer; two nodes over Redis and
// PostgreSQL, the publisher on node A and the subscribers on node B.

interface TestLike { teardown (fn: () => unknown): void }

const KIM = { username: 'kim', password: 'kim-pass' }
const CHIEF = { username: 'chief', password: 'chief-pass' }
const USERS = [
  { ...ADMIN, admin: true, email: null, roles: [] },
  { ...CHIEF, admin: true, email: null, roles: ['ops'] },
  { ...ALICE, admin: false, email: null, roles: [] },
  { ...KIM, admin: false, email: null, roles: ['ops', 'audit'] },
]
const RULES = [
  { protocol: 'telegraphy', resource: 'ops.**', actions: ['subscribe', 'publish'], allow: ['role:ops'] },
]
const EVENTS = ['ops.alert', 'public.news']

/** Two nodes of one cluster with these access settings (node B starts once A has migrated). */
async function cluster (t: TestLike, access: Record<string, unknown> = { rules: RULES }): Promise<[RunningApp, RunningApp]> {
  const overrides = { ...(await sharedClusterOverrides(t)), ...telegraphyOverrides({ requireAuth: false, events: EVENTS }), users: USERS, access }
  const a = await startApp(t, overrides)
  return [a, await startApp(t, overrides)]
}

/** A CONNECTed client on `node` with the one-time token `authToken` ('' = anonymous). */
async function connectWith (node: RunningApp, authToken: string) {
  const client = await open(node.wsUrl)
  const reply = await client.request({ message: 'CONNECT', id: 0, args: { auth_token: authToken } })
  if (reply.status !== 'CONNECTED') throw new Error(`CONNECT failed: ${JSON.stringify(reply)}`)
  return { client, sessionToken: reply.data.session_token as string }
}

/** A one-time token asked for with `bearer` on `node`. */
async function authTokenWith (node: RunningApp, bearer: string): Promise<string> {
  const { status, body } = await request(node.url, 'POST', '/api/telegraphy/auth-tokens', { token: bearer })
  if (status !== 201) throw new Error(`auth token: ${status} ${JSON.stringify(body)}`)
  return body.auth_token as string
}

const connectAs = async (issuer: RunningApp, node: RunningApp, user: { username: string, password: string }) =>
  connectWith(node, await authTokenWith(issuer, await login(issuer.url, user)))

const emitAs = (node: RunningApp, bearer: string, name: string, data: Record<string, unknown>) =>
  request(node.url, 'POST', '/api/telegraphy/events', { token: bearer, body: { name, data } })

t.test('SUBSCRIBE and the REST emit: denied and allowed, across nodes', async (t) => {
  const [a, b] = await cluster(t)
  const kim = (await connectAs(a, b, KIM)).client
  const alice = (await connectAs(a, b, ALICE)).client
  const anonymous = (await connectWith(b, '')).client

  t.match(await kim.request({ message: 'SUBSCRIBE', id: 1, args: { event_name: 'ops.alert' } }), { success: true, status: 'SUBSCRIBED' }, 'role ops: allowed')
  t.same(await alice.request({ message: 'SUBSCRIBE', id: 1, args: { event_name: 'ops.alert' } }),
    { success: false, status: 'FORBIDDEN', id: 1, data: { message: 'not allowed to receive this event', event_name: 'ops.alert' } }, 'no role ops: FORBIDDEN in §3.3\'s reply shape')
  t.match(await anonymous.request({ message: 'SUBSCRIBE', id: 1, args: { event_name: 'ops.alert' } }), { status: 'FORBIDDEN' }, 'anonymous: denied')
  t.match(await alice.request({ message: 'SUBSCRIBE', id: 2, args: { event_name: 'ops.unknown' } }), { status: 'FORBIDDEN' },
    'denied before the registry is asked: nothing learnt about registered names')
  await subscribe(alice, 3, { event_name: 'public.news' })
  await subscribe(anonymous, 2, { event_name: 'public.news' })

  const chief = await login(a.url, CHIEF)
  const admin = await login(a.url, ADMIN)
  t.equal((await emitAs(a, chief, 'ops.alert', { n: 1 })).status, 202, 'an admin with role ops publishes')
  t.match(await kim.json(), { name: 'ops.alert', data: { n: 1 } }, 'delivered on node B')
  const denied = await emitAs(a, admin, 'ops.alert', { n: 2 })
  t.equal(denied.status, 403, 'an admin without role ops may not publish it')
  t.match(denied.body, { statusCode: 403, message: 'not allowed to publish this event' })
  t.equal((await emitAs(a, admin, 'public.news', { n: 3 })).status, 202, 'the default (allow) for what no rule names')
  for (const client of [alice, anonymous]) t.match(await client.json(), { name: 'public.news', data: { n: 3 } })
  t.equal(await emit(a.url, 'ops.alert', { n: 4 }), true, 'an API key is the deployment\'s backend: not held to the rules')
  t.match(await kim.json(), { data: { n: 4 } })
  await Promise.all([kim, alice, anonymous].map((client) => client.expectNothing(QUIET_CLUSTER)))
})

t.test('a narrowed token: its channels limit the session, on every node and after RECONNECT', async (t) => {
  const [a, b] = await cluster(t)
  const minted = await request(a.url, 'POST', '/api/auth/tokens', { apiKey: TEST_API_KEY, body: { username: 'kim', channels: ['telegraphy:ops.alert'] } })
  t.equal(minted.status, 200)
  const narrowed = minted.body.access_token as string
  t.equal((await request(a.url, 'POST', '/api/telegraphy/auth-tokens', { token: narrowed, body: { username: 'alice' } })).status, 403, 'only for itself')

  const fromPost = await connectWith(b, await authTokenWith(a, narrowed))
  const viaGetToken = await request(b.url, 'GET', '/telegraphy/get_token/', { token: narrowed })
  t.equal(viaGetToken.status, 200)
  const fromGet = await connectWith(a, viaGetToken.body.auth_token)
  for (const { client } of [fromPost, fromGet]) {
    await subscribe(client, 1, { event_name: 'ops.alert' })
    t.match(await client.request({ message: 'SUBSCRIBE', id: 2, args: { event_name: 'public.news' } }), { status: 'FORBIDDEN' },
      'outside the token\'s channels, though the rules allow it')
  }
  const rolesNarrowed = await request(a.url, 'POST', '/api/auth/tokens', { apiKey: TEST_API_KEY, body: { username: 'kim', roles: ['audit'] } })
  const audit = (await connectWith(b, await authTokenWith(a, rolesNarrowed.body.access_token))).client
  t.match(await audit.request({ message: 'SUBSCRIBE', id: 1, args: { event_name: 'ops.alert' } }), { status: 'FORBIDDEN' }, 'a roles claim without ops: no role ops')

  const { client, sessionToken } = fromPost
  client.close()
  await eventually(async () => (await b.app.services.store.get(`telegraphy:session:${sessionToken}`)) !== null, 2000, 'session kept')
  const back = await open(a.wsUrl)
  t.match(await back.request({ message: 'RECONNECT', id: 3, session_token: sessionToken }), { status: 'CONNECTED', subscriptions: [{ event_name: 'ops.alert' }] })
  t.match(await back.request({ message: 'SUBSCRIBE', id: 4, args: { event_name: 'public.news' } }), { status: 'FORBIDDEN' }, 'the claims came back with the session')
  t.equal(await emit(b.url, 'ops.alert', { n: 1 }), true)
  t.match(await back.json(), { name: 'ops.alert', data: { n: 1 } })
})

t.test('revoking the access token on node A ends the sessions its auth tokens opened, on node B, kept ones too', async (t) => {
  const [a, b] = await cluster(t)
  const revoked = await login(a.url, KIM)
  const live = (await connectWith(b, await authTokenWith(a, revoked))).client
  const dropped = await connectWith(b, await authTokenWith(a, revoked))
  await subscribe(dropped.client, 1, { event_name: 'public.news' })
  dropped.client.close()
  await eventually(async () => (await b.app.services.store.get(`telegraphy:session:${dropped.sessionToken}`)) !== null, 2000, 'session kept')
  const otherToken = (await connectWith(b, await authTokenWith(a, await login(a.url, KIM)))).client
  const byService = await request(a.url, 'POST', '/api/telegraphy/auth-tokens', { apiKey: TEST_API_KEY, body: { username: 'kim' } })
  const issuedByService = (await connectWith(b, byService.body.auth_token)).client

  t.equal((await request(a.url, 'POST', '/oauth2/revoke_token/', { form: { token: revoked, client_id: 'das_web_client' } })).status, 200)
  t.match(await live.closed(), { code: 1008, reason: 'credentials revoked' }, 'the live session ends within the wait bound')
  const back = await open(a.wsUrl)
  t.match(await back.request({ message: 'RECONNECT', id: 2, session_token: dropped.sessionToken }), { status: 'INVALID_SESSION' }, 'the kept session is gone too')
  for (const [name, client] of [['another token of kim', otherToken], ['a token a service asked for', issuedByService]] as const) {
    await subscribe(client, 3, { event_name: 'public.news' })
    t.ok(client.ws.readyState === client.ws.OPEN, `${name}: untouched`)
  }
})

t.test('a role removed on node A stops an open subscription on node B within a second', async (t) => {
  const [a, b] = await cluster(t)
  const { client: kim, sessionToken } = await connectAs(a, b, KIM)
  await subscribe(kim, 1, { event_name: 'ops.alert' })
  await subscribe(kim, 2, { event_name: 'ops.alert', filters: { level: 'high' } })
  await subscribe(kim, 3, { event_name: 'public.news' })
  await emit(a.url, 'ops.alert', { n: 1 })
  t.match(await kim.json(), { name: 'ops.alert' }, 'delivered while kim has role ops')

  const removedAt = Date.now()
  t.equal((await request(a.url, 'PUT', '/api/admin/users/kim/roles', { apiKey: TEST_API_KEY, body: { roles: ['audit'] } })).status, 200)
  await eventually(() => b.app.services.hub.subscriberCount('telegraphy:ops.alert') === 0, 1500, 'node B dropped the subscription')
  t.ok(Date.now() - removedAt <= 1500, `stopped within ${Date.now() - removedAt} ms`)
  await emit(a.url, 'ops.alert', { n: 2, level: 'high' })
  await emit(a.url, 'public.news', { n: 3 })
  t.match(await kim.json(), { name: 'public.news', data: { n: 3 } }, 'the ops events stopped, the rest did not')
  await kim.expectNothing(QUIET_CLUSTER)
  t.match(await kim.request({ message: 'SUBSCRIBE', id: 4, args: { event_name: 'ops.alert' } }), { status: 'FORBIDDEN' })

  kim.close()
  await eventually(async () => (await b.app.services.store.get(`telegraphy:session:${sessionToken}`)) !== null, 2000, 'session kept')
  const back = await open(a.wsUrl)
  const resumed = await back.request({ message: 'RECONNECT', id: 5, session_token: sessionToken })
  t.same(resumed.subscriptions.map((s: { event_name: string }) => s.event_name), ['public.news'], 'dropped from the store too: RECONNECT does not bring it back')
})

t.test('a kept session: RECONNECT re-checks, and holds back the events it kept for what is now denied', async (t) => {
  const [a, b] = await cluster(t)
  const { client: kim, sessionToken } = await connectAs(a, a, KIM)
  await subscribe(kim, 1, { event_name: 'ops.alert' })
  await subscribe(kim, 2, { event_name: 'public.news' })
  kim.close()
  await eventually(async () => (await a.app.services.store.get(`telegraphy:session:${sessionToken}`)) !== null, 2000, 'session kept on node A')
  await emit(a.url, 'ops.alert', { n: 1 })
  await emit(a.url, 'public.news', { n: 2 })
  t.equal((await request(b.url, 'PUT', '/api/admin/users/kim/roles', { apiKey: TEST_API_KEY, body: { roles: [] } })).status, 200, 'role removed on node B')
  await emit(a.url, 'ops.alert', { n: 3 })

  const back = await open(b.wsUrl)
  const resumed = await back.request({ message: 'RECONNECT', id: 3, session_token: sessionToken })
  t.match(resumed, { status: 'CONNECTED' })
  t.same(resumed.subscriptions.map((s: { event_name: string }) => s.event_name), ['public.news'])
  t.match(await back.json(), { name: 'public.news', data: { n: 2 } }, 'the missed event still allowed')
  await back.expectNothing(QUIET_CLUSTER)
  await emit(a.url, 'ops.alert', { n: 4 })
  await emit(a.url, 'public.news', { n: 5 })
  t.same((await frames(back, 1)).map((e) => e.data.n), [5])
  await back.expectNothing(QUIET_CLUSTER)
})

t.test('the authorize hook allows and denies what no rule settles, SUBSCRIBE and emit alike', async (t) => {
  const { url, asked } = await authorizeHook(t, (question) => question.resource.startsWith('yes.'))
  const [a, b] = await cluster(t, { rules: RULES, authorizeUrl: url })
  const alice = (await connectAs(a, b, ALICE)).client
  await subscribe(alice, 1, { event_name: 'yes.please', lazy: true })
  t.match(await alice.request({ message: 'SUBSCRIBE', id: 2, args: { event_name: 'no.thanks', lazy: true } }), { status: 'FORBIDDEN' })
  t.match(asked, [
    { protocol: 'telegraphy', action: 'subscribe', resource: 'yes.please', user: 'alice', roles: [], connectionId: String },
    { protocol: 'telegraphy', action: 'subscribe', resource: 'no.thanks', user: 'alice' },
  ])
  t.match(await alice.request({ message: 'SUBSCRIBE', id: 3, args: { event_name: 'ops.alert' } }), { status: 'FORBIDDEN' }, 'a rule settles it: not asked')
  t.equal(asked.length, 2)

  const admin = await login(a.url, ADMIN)
  t.equal((await emitAs(a, admin, 'yes.please', { n: 1 })).status, 202)
  t.match(await alice.json(), { name: 'yes.please', data: { n: 1 } })
  t.equal((await emitAs(a, admin, 'no.thanks', { n: 2 })).status, 403)
  t.match(asked.slice(2), [{ action: 'publish', resource: 'yes.please', user: 'admin', roles: ['admin'] }, { action: 'publish', resource: 'no.thanks' }])
  await alice.expectNothing(QUIET_CLUSTER)
})
