import t from 'tap'
import { login, request, sharedClusterOverrides, startApp, TEST_API_KEY, type RunningApp } from '../../helpers/app.js'
import { ADMIN, ALICE } from '../../helpers/config.js'
import { authorizeHook } from '../../helpers/authorize-hook.js'
import { QUIET_CLUSTER } from '../../helpers/quiet.js'
import { eventually } from '../../helpers/ws-client.js'
import { AUTH_WINDOW, authorizedClient, dasOverrides, oauthToken, openClient } from './das-client.js'

// README "Authorization" for DAS, on two nodes sharing Redis and PostgreSQL: publishers on node
// A (REST), subscribers on node B (Socket.IO).

const KIM = { username: 'kim', password: 'kim-pass' }
const BOSS = { username: 'boss', password: 'boss-pass' }
const USERS = [
  { ...ADMIN, admin: true, email: null, roles: ['announcer'] },
  { ...BOSS, admin: true, email: null, roles: [] },
  { ...ALICE, admin: false, email: null, roles: [] },
  { ...KIM, admin: false, email: null, roles: ['radio', 'rhino'] },
]
const RULES = [
  { protocol: 'das', resource: 'radio_message', actions: ['subscribe'], allow: ['role:radio'] },
  { protocol: 'das', resource: 'subject_group.rhinos', actions: ['subscribe'], allow: ['role:rhino'] },
  { protocol: 'das', resource: 'new_announcement', actions: ['publish'], allow: ['role:announcer'] },
]
interface TestLike { teardown (fn: () => unknown): void }

/** Past the margin a role change or revocation has to reach the other node (issue 16: within one second). */
const ONE_SECOND_AND_MARGIN = 1500

async function twoNodes (t: TestLike, access: Record<string, unknown> = { rules: RULES }): Promise<[RunningApp, RunningApp]> {
  const overrides = { ...await sharedClusterOverrides(t), ...dasOverrides(), users: USERS, access }
  return [await startApp(t, overrides), await startApp(t, overrides)]
}

const emit = (app: RunningApp, body: Record<string, unknown>, auth: { apiKey?: string, token?: string } = { apiKey: TEST_API_KEY }) =>
  request(app.url, 'POST', '/api/das/emit', { ...auth, body })
const subjectUpdate = (app: RunningApp, body: Record<string, unknown>) =>
  request(app.url, 'POST', '/api/das/subject-updates', { apiKey: TEST_API_KEY, body })
const mint = async (app: RunningApp, body: Record<string, unknown>) => {
  const minted = await request(app.url, 'POST', '/api/auth/tokens', { apiKey: TEST_API_KEY, body })
  if (minted.status !== 200) throw new Error(`mint failed: ${minted.status} ${JSON.stringify(minted.body)}`)
  return minted.body.access_token as string
}

t.test('subscribers and publishers, allowed and denied, across nodes', async (t) => {
  const [a, b] = await twoNodes(t)
  const kim = await authorizedClient(t, b.url, await oauthToken(a.url, KIM))
  const alice = await authorizedClient(t, b.url, await oauthToken(a.url, ALICE))

  t.equal((await emit(a, { type: 'radio_message', data: { n: 1 } })).status, 202)
  t.match(await kim.next('radio_message'), { n: 1, mid: 1 }, 'role:radio receives radio_message')
  await alice.expectNothing('radio_message', QUIET_CLUSTER)
  await emit(a, { type: 'new_event', data: { event_id: 'e1' } })
  t.match(await alice.next('new_event'), { event_id: 'e1', mid: 1 }, 'no rule: the default allows')
  t.match(await kim.next('new_event'), { event_id: 'e1' })

  // A subject is seen through any of its groups; with none given only the type counts.
  await subjectUpdate(a, { subject: { id: 'r1' }, subjectGroups: ['rhinos'] })
  t.equal((await kim.next('subject_update')).data.id, 'r1')
  await subjectUpdate(a, { subject: { id: 'r2' }, subjectGroups: ['rhinos', 'elephants'] })
  await subjectUpdate(a, { subject: { id: 'plain' } })
  t.equal((await alice.next('subject_update')).data.id, 'r2', 'one allowed group is enough')
  t.equal((await alice.next('subject_update')).data.id, 'plain')
  t.equal((await kim.next('subject_update')).data.id, 'r2')
  t.equal((await kim.next('subject_update')).data.id, 'plain')
  await emit(a, { type: 'new_event', data: { event_id: 'e2' }, subjectGroups: ['rhinos'] })
  t.match(await kim.next('new_event'), { event_id: 'e2' }, 'groups on /api/das/emit too')
  const tooMany = Array.from({ length: 65 }, (_, i) => `g${i}`)
  t.equal((await subjectUpdate(a, { subject: { id: 'x' }, subjectGroups: tooMany })).status, 400, 'at most 64 groups')
  t.equal((await emit(a, { type: 'new_event', data: {}, subjectGroups: [''] })).status, 400, 'a group has a name')
  await Promise.all([alice.expectNothing('subject_update', QUIET_CLUSTER), alice.expectNothing('new_event', QUIET_CLUSTER)])

  // Publishers: an admin's Bearer token publishes as its user; an API key is not asked.
  const announcer = await login(a.url, ADMIN)
  const boss = await login(a.url, BOSS)
  t.equal((await emit(a, { type: 'new_announcement', data: { n: 1 } }, { token: announcer })).status, 202, 'role:announcer publishes')
  const denied = await emit(a, { type: 'new_announcement', data: { n: 2 } }, { token: boss })
  t.equal(denied.status, 403, 'an admin without the role does not')
  t.match(denied.body, { statusCode: 403, error: 'Forbidden', message: 'boss may not publish new_announcement' })
  t.equal((await emit(a, { type: 'new_announcement', data: { n: 3 } })).status, 202, 'an API key is the backend: not asked')
  t.equal((await emit(a, { type: 'new_event', data: { event_id: 'e3' } }, { token: boss })).status, 202, 'no publish rule for new_event')
  for (const client of [kim, alice]) {
    t.match(await client.next('new_announcement'), { n: 1 })
    t.match(await client.next('new_announcement'), { n: 3 }, 'the denied publish reached nobody')
    t.match(await client.next('new_event'), { event_id: 'e3' })
  }
})

t.test('a narrowed token: its channels and roles claims hold on the socket', async (t) => {
  const [a, b] = await twoNodes(t)
  const channels = ['das:new_event', 'das:subject_update', 'das:subject_group.elephants', 'telegraphy:**']
  const narrowed = await authorizedClient(t, b.url, await mint(a, { username: 'alice', channels }))
  await emit(a, { type: 'radio_message', data: { n: 1 } })
  await emit(a, { type: 'delete_event', data: { event_id: 'x' } })
  await emit(a, { type: 'new_event', data: { event_id: 'e1' } })
  t.match(await narrowed.next('new_event'), { event_id: 'e1', mid: 1 })
  await subjectUpdate(a, { subject: { id: 'lion' }, subjectGroups: ['lions'] })
  await subjectUpdate(a, { subject: { id: 'rhino' }, subjectGroups: ['rhinos'] })
  await subjectUpdate(a, { subject: { id: 'elephant' }, subjectGroups: ['elephants'] })
  t.equal((await narrowed.next('subject_update')).data.id, 'elephant', 'a group outside the claim, or denied by the rules, is not received')
  await Promise.all(['radio_message', 'delete_event', 'subject_update'].map((event) => narrowed.expectNothing(event, QUIET_CLUSTER)))

  // kim holds role radio, but a token whose roles claim leaves it out does not.
  const kimRhinoOnly = await authorizedClient(t, b.url, await mint(a, { username: 'kim', roles: ['rhino'] }))
  const kimFull = await authorizedClient(t, b.url, await oauthToken(a.url, KIM))
  await emit(a, { type: 'radio_message', data: { n: 2 } })
  t.match(await kimFull.next('radio_message'), { n: 2 })
  await kimRhinoOnly.expectNothing('radio_message', QUIET_CLUSTER)

  // A token that may receive no DAS event type at all: 403, and the auth window drops the socket.
  const elsewhere = await openClient(t, b.url)
  const reply = await elsewhere.authorize(await mint(a, { username: 'alice', channels: ['telegraphy:**'] }), 7)
  t.same(reply, { type: 'resp_authorization', resp_id: 7, status: { code: 403, message: 'Forbidden' } })
  await elsewhere.disconnected(AUTH_WINDOW + 1500)
})

t.test('a role removed on node A stops an open subscription on node B at once; given back, it counts again', async (t) => {
  const [a, b] = await twoNodes(t)
  const kim = await authorizedClient(t, b.url, await oauthToken(a.url, KIM))
  await emit(a, { type: 'radio_message', data: { n: 1 } })
  t.match(await kim.next('radio_message'), { n: 1 })

  const kimOnB = { kind: 'user' as const, username: 'kim', admin: false }
  const started = Date.now()
  t.equal((await request(a.url, 'PUT', '/api/admin/users/kim/roles', { apiKey: TEST_API_KEY, body: { roles: ['rhino'] } })).status, 200)
  await eventually(() => !b.app.services.access.rolesOf(kimOnB).includes('radio'), ONE_SECOND_AND_MARGIN, 'the role removed on node B')
  t.ok(Date.now() - started < ONE_SECOND_AND_MARGIN, 'within a second (and a margin)')
  await emit(a, { type: 'radio_message', data: { n: 2 } })
  await emit(a, { type: 'new_event', data: { event_id: 'still' } })
  t.match(await kim.next('new_event'), { event_id: 'still' }, 'the socket stays, with what it may still receive')
  await kim.expectNothing('radio_message', QUIET_CLUSTER)

  await request(a.url, 'PUT', '/api/admin/users/kim/roles', { apiKey: TEST_API_KEY, body: { roles: ['rhino', 'radio'] } })
  await eventually(() => b.app.services.access.rolesOf(kimOnB).includes('radio'), ONE_SECOND_AND_MARGIN, 'the role back on node B')
  await emit(a, { type: 'radio_message', data: { n: 3 } })
  t.match(await kim.next('radio_message'), { n: 3, mid: 2 })
})

t.test('the authorize hook decides what no rule does: allowing and denying, in order, across nodes', async (t) => {
  const hook = await authorizeHook(t, (q) => q.user !== 'boss' && !(q.resource === 'radio_message' && q.user === 'alice') &&
    !(q.action === 'publish' && q.resource === 'delete_event'))
  const [a, b] = await twoNodes(t, { authorizeUrl: hook.url, timeout: 1000 })
  const alice = await authorizedClient(t, b.url, await oauthToken(a.url, ALICE))
  t.ok(hook.asked.some((q) => q.action === 'subscribe' && q.resource === 'update_event' && q.user === 'alice'), 'event types are asked at authorization')

  // The group is asked when its first delivery comes: the deliveries waiting for the answer keep their order.
  for (let n = 1; n <= 3; n++) await emit(a, { type: 'update_event', data: { n }, subjectGroups: ['herd'] })
  await emit(a, { type: 'radio_message', data: { n: 1 } })
  for (let n = 1; n <= 3; n++) t.match(await alice.next('update_event'), { n, mid: n }, `update_event ${n} in order`)
  t.equal(hook.asked.filter((q) => q.resource === 'subject_group.herd').length, 1, 'asked once for the socket')
  await alice.expectNothing('radio_message', QUIET_CLUSTER)

  const boss = await openClient(t, b.url)
  t.match(await boss.authorize(await oauthToken(a.url, BOSS)), { status: { code: 403, message: 'Forbidden' } }, 'the hook allows boss nothing')

  const admin = await login(a.url, ADMIN)
  t.equal((await emit(a, { type: 'delete_event', data: { event_id: 'x' } }, { token: admin })).status, 403)
  t.equal((await emit(a, { type: 'new_event', data: { event_id: 'y' } }, { token: admin })).status, 202)
  t.match(await alice.next('new_event'), { event_id: 'y' })
  t.ok(hook.asked.some((q) => q.action === 'publish' && q.resource === 'delete_event' && q.user === 'admin'))
})

t.test('revoking the OAuth token, or removing the user, on node A drops the socket on node B within a second', async (t) => {
  const [a, b] = await twoNodes(t)
  const revoked = await oauthToken(a.url, KIM)
  const [onA, onB, other] = await Promise.all([
    authorizedClient(t, a.url, revoked), authorizedClient(t, b.url, revoked), authorizedClient(t, b.url, await oauthToken(a.url, KIM)),
  ])
  t.equal((await request(a.url, 'POST', '/oauth2/revoke_token/', { form: { token: revoked, client_id: 'das_web_client' } })).status, 200)
  await Promise.all([onA.disconnected(ONE_SECOND_AND_MARGIN), onB.disconnected(ONE_SECOND_AND_MARGIN)])
  await other.staysConnected(QUIET_CLUSTER)

  const alice = await authorizedClient(t, b.url, await oauthToken(a.url, ALICE))
  t.equal((await request(a.url, 'DELETE', '/api/admin/users/alice', { apiKey: TEST_API_KEY })).status, 204)
  await alice.disconnected(ONE_SECOND_AND_MARGIN)
})
