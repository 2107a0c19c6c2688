import t from 'tap'
import { request, sharedClusterOverrides, startApp, TEST_API_KEY } from '../../helpers/app.js'
import { ADMIN, ALICE } from '../../helpers/config.js'
import { authorizedClient, dasOverrides, oauthToken } from './das-client.js'
import { QUIET_CLUSTER } from '../../helpers/quiet.js'

// §5.7 across nodes: two app instances sharing Redis (the core hub's broker) and PostgreSQL.
t.test('emits on one node reach sockets on the other; per-socket state stays where the socket lives', async (t) => {
  const overrides = { ...await sharedClusterOverrides(t), ...dasOverrides({ traceTtl: 400 }) }
  const a = await startApp(t, overrides)
  const b = await startApp(t, overrides)
  const token = await oauthToken(a.url, ALICE)
  const onA = await authorizedClient(t, a.url, token, { version: 2 })
  const onB = await authorizedClient(t, b.url, token)
  const silentOnB = await authorizedClient(t, b.url, token, { autoAck: false })
  const emit = (url: string, body: unknown) => request(url, 'POST', '/api/das/emit', { apiKey: TEST_API_KEY, body })

  t.equal((await emit(a.url, { type: 'new_event', data: { event_id: 'e1', event_data: { title: 'x' } } })).status, 202)
  t.match(await onB.next('new_event'), { type: 'new_event', event_id: 'e1', mid: 1, matches_current_filter: true })
  t.match(await onA.next('new_event'), { event_id: 'e1', mid: 1 })
  await emit(b.url, { type: 'new_event', data: { event_id: 'e2' } })
  t.equal((await onB.next('new_event')).mid, 2, 'the mid counter lives with the socket, whichever node emitted')
  t.equal((await onA.next('new_event')).mid, 2)
  await Promise.all([onA.expectNothing('new_event', QUIET_CLUSTER), onB.expectNothing('new_event', QUIET_CLUSTER)]) // no node delivers twice

  // Targeted by sid from the other node.
  await emit(b.url, { type: 'radio_message', data: { text: 'to A' }, sid: onA.id })
  t.match(await onA.next('radio_message'), { text: 'to A', mid: 1 })
  await emit(a.url, { type: 'radio_message', data: { text: 'to B' }, sid: onB.id })
  t.match(await onB.next('radio_message'), { text: 'to B', mid: 1 })
  await onA.expectNothing('radio_message', QUIET_CLUSTER)

  // The bbox set on node B applies to a subject_update published on node A.
  await onB.request('bbox', { data: '30,-5,40,5' }, 'bbox_resp')
  await request(a.url, 'POST', '/api/das/subject-updates', { apiKey: TEST_API_KEY, body: { subject: { id: 'far', location: { latitude: 50, longitude: 8 } } } })
  await request(a.url, 'POST', '/api/das/subject-updates', { apiKey: TEST_API_KEY, body: { subject: { id: 'near', location: { latitude: 0, longitude: 36 } } } })
  t.equal((await onB.next('subject_update')).data.id, 'near')
  t.equal((await onA.next('subject_update')).data.id, 'far')

  // The socket on B that never acknowledged what A emitted is dropped by B's sweep.
  await silentOnB.disconnected(400 + 50 + 1500)
  await onB.staysConnected(QUIET_CLUSTER)
})

t.test('by username across nodes: each socket of the user once, and a socket authorized again as another user moves', async (t) => {
  const overrides = { ...await sharedClusterOverrides(t), ...dasOverrides() }
  const a = await startApp(t, overrides)
  const b = await startApp(t, overrides)
  const [aliceToken, adminToken] = await Promise.all([oauthToken(a.url, ALICE), oauthToken(b.url, ADMIN)])
  const aliceOnB = await authorizedClient(t, b.url, aliceToken)
  const adminOnB = await authorizedClient(t, b.url, adminToken)
  const movingOnB = await authorizedClient(t, b.url, aliceToken)
  const emit = (body: unknown) => request(a.url, 'POST', '/api/das/emit', { apiKey: TEST_API_KEY, body })

  await emit({ type: 'radio_message', data: { n: 1 }, username: 'alice' })
  t.match(await aliceOnB.next('radio_message'), { n: 1, mid: 1 })
  t.match(await movingOnB.next('radio_message'), { n: 1, mid: 1 })
  // The socket of B now authorizes as admin: alice's topic on B keeps one socket, admin's gets two.
  t.match(await movingOnB.authorize(adminToken, 2), { status: { code: 200 } })
  await emit({ type: 'radio_message', data: { n: 2 }, username: 'admin' })
  await emit({ type: 'radio_message', data: { n: 3 }, username: 'alice' })
  // sid and username both given: nothing when the socket is not that user's.
  await emit({ type: 'radio_message', data: { n: 4 }, sid: aliceOnB.id, username: 'admin' })
  t.match(await movingOnB.next('radio_message'), { n: 2 }, 'the new user\'s emits')
  t.match(await adminOnB.next('radio_message'), { n: 2 })
  t.match(await aliceOnB.next('radio_message'), { n: 3 })
  await Promise.all([aliceOnB, adminOnB, movingOnB].map((client) => client.expectNothing('radio_message', QUIET_CLUSTER)))
})

t.test('a user removed on one node loses its sockets on every node', async (t) => {
  const overrides = { ...await sharedClusterOverrides(t), ...dasOverrides() }
  const a = await startApp(t, overrides)
  const b = await startApp(t, overrides)
  t.equal((await request(a.url, 'POST', '/api/admin/users', { apiKey: TEST_API_KEY, body: { username: 'carol', password: 'carol-pass' } })).status, 201)
  const carol = await authorizedClient(t, b.url, await oauthToken(b.url, { username: 'carol', password: 'carol-pass' }))
  t.equal((await request(a.url, 'DELETE', '/api/admin/users/carol', { apiKey: TEST_API_KEY })).status, 204)
  await carol.disconnected()
})

t.test('an access token revoked on one node drops the sockets using it on every node, and only those', async (t) => {
  const overrides = { ...await sharedClusterOverrides(t), ...dasOverrides() }
  const a = await startApp(t, overrides)
  const b = await startApp(t, overrides)
  const revoked = await oauthToken(a.url, ALICE)
  const kept = await oauthToken(a.url, ALICE)
  const [onA, onB, other] = await Promise.all([authorizedClient(t, a.url, revoked), authorizedClient(t, b.url, revoked), authorizedClient(t, b.url, kept)])
  t.equal((await request(a.url, 'POST', '/oauth2/revoke_token/', { form: { token: revoked, client_id: 'das_web_client' } })).status, 200)
  await Promise.all([onA.disconnected(), onB.disconnected()])
  await other.staysConnected(100)
})
