import t from 'tap'
import { request, TEST_API_KEY } from '../helpers/app.js'
import { ADMIN, ALICE } from '../helpers/config.js'
import { REDIS_URL } from '../helpers/infra.js'
import { authorizedClient, oauthToken, openClient } from '../plugins/das/das-client.js'
import { startCluster, type Node } from './harness.js'
import { QUIET_CLUSTER } from '../helpers/quiet.js'

// DAS (Socket.IO) across real processes (plugins/das/README.md "Cluster"): a delivery is
// published on the core hub, on the topic of the sockets it targets (all, a user's, one sid),
// and reaches each node holding such a socket once; every node computes the per-socket
// payloads of its own sockets.

const configYaml = `protocols:
  das:
    authWindow: 2s
    connectAckDelay: 50ms
    traceTtl: 30s
    cleanupInterval: 1s`

const emit = async (node: Node, body: Record<string, unknown>) => {
  const { status } = await request(node.url, 'POST', '/api/das/emit', { apiKey: TEST_API_KEY, body })
  if (status !== 202) throw new Error(`emit answered ${status}`)
}

t.test('two DAS nodes', async (t) => {
  const [a, b] = await startCluster(t, 2, { redisUrl: REDIS_URL, configYaml })

  t.test('emits through A reach socket.io-client 4 sockets on B, once, with per-socket counters', async (t) => {
    const token = await oauthToken(a.url, ALICE)
    const onB = await authorizedClient(t, b.url, token)
    const onA = await authorizedClient(t, a.url, token)
    await emit(a, { type: 'new_event', data: { event_id: 'e1', title: 'from A' } })
    t.match(await onB.next('new_event'), { type: 'new_event', event_id: 'e1', title: 'from A', mid: 1, trace_id: new RegExp(`^trace-${onB.id}-`) }, 'A → B')
    t.match(await onA.next('new_event'), { event_id: 'e1', mid: 1 })
    await emit(b, { type: 'new_event', data: { event_id: 'e2' } })
    t.match(await onA.next('new_event'), { event_id: 'e2', mid: 2 }, 'B → A')
    t.match(await onB.next('new_event'), { event_id: 'e2', mid: 2 })
    await Promise.all([onA.expectNothing('new_event', QUIET_CLUSTER), onB.expectNothing('new_event', QUIET_CLUSTER)])

    await request(a.url, 'POST', '/api/das/subject-updates', { apiKey: TEST_API_KEY, body: { subject: { id: 's1', name: 'ele' } } })
    t.match(await onB.next('subject_update'), { type: 'subject_update', data: { id: 's1', name: 'ele' }, mid: 1 }, 'subject updates too')
    t.match(await onA.next('subject_update'), { data: { id: 's1' } })
  })

  t.test('targeted emits find their socket on the other node', async (t) => {
    const alice = await authorizedClient(t, b.url, await oauthToken(a.url, ALICE))
    const admin = await authorizedClient(t, b.url, await oauthToken(b.url, ADMIN))
    const adminOnA = await authorizedClient(t, a.url, await oauthToken(a.url, ADMIN))
    await emit(a, { type: 'radio_message', data: { text: 'to sid' }, sid: alice.id })
    t.match(await alice.next('radio_message'), { text: 'to sid' }, 'by sid')
    await emit(a, { type: 'radio_message', data: { text: 'to admin' }, username: 'admin' })
    t.match(await admin.next('radio_message'), { text: 'to admin' }, 'by username, on B')
    t.match(await adminOnA.next('radio_message'), { text: 'to admin' }, 'and on A')
    await alice.expectNothing('radio_message', QUIET_CLUSTER)
    await admin.expectNothing('radio_message', QUIET_CLUSTER)
  })

  t.test('OAuth refresh tokens from A are single-use across nodes', async (t) => {
    const grant = (node: Node, refreshToken: string) => request(node.url, 'POST', '/oauth2/token', { form: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'das_web_client' } })
    const first = await request(a.url, 'POST', '/oauth2/token', { form: { grant_type: 'password', ...ALICE, client_id: 'das_web_client' } })
    const refreshed = await grant(b, first.body.refresh_token)
    t.equal(refreshed.status, 200, 'refreshed on B')
    t.match((await grant(a, first.body.refresh_token)).body, { error: 'invalid_grant' }, 'the used refresh token is refused on A')
    await authorizedClient(t, a.url, refreshed.body.access_token)
  })

  t.test('an access token revoked on A is refused on B', async (t) => {
    const token = await oauthToken(a.url, ALICE)
    const { status } = await request(a.url, 'POST', '/oauth2/revoke_token/', { form: { token, client_id: 'das_web_client' } })
    t.equal(status, 200)
    const client = await openClient(t, b.url)
    t.match(await client.authorize(token, 7), { type: 'resp_authorization', resp_id: 7, status: { code: 401 } })
  })

  t.test('node A killed: its client connects to B with the same token and gets emits there', async (t) => {
    const token = await oauthToken(a.url, ALICE)
    const client = await authorizedClient(t, a.url, token)
    await a.kill()
    t.equal(await client.disconnected(), 'transport close', 'the client saw its node die')
    const back = await authorizedClient(t, b.url, token)
    await emit(b, { type: 'new_announcement', data: { text: 'welcome back' } })
    t.match(await back.next('new_announcement'), { text: 'welcome back', mid: 1 })
  })
})
