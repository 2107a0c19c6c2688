import t from 'tap'
import { request, startApp, TEST_API_KEY } from '../../helpers/app.js'
import { ADMIN, ALICE } from '../../helpers/config.js'
import { authorizedClient, dasOverrides, oauthToken, openClient, type ClientVersion, type DasClient } from './das-client.js'
import { QUIET_LOCAL } from '../../helpers/quiet.js'

// Server events of docs/protocols/das.md §5.3 / §5.7 through the companion REST, with both client versions.

const point = (lon: number, lat: number) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] } })
const emit = (url: string, body: unknown) => request(url, 'POST', '/api/das/emit', { apiKey: TEST_API_KEY, body })
const subjectUpdate = (url: string, body: unknown) => request(url, 'POST', '/api/das/subject-updates', { apiKey: TEST_API_KEY, body })

async function setBbox (client: DasClient, data: string): Promise<void> {
  const reply = await client.request('bbox', { data }, 'bbox_resp')
  if (reply.message !== 'bbox saved.') throw new Error(JSON.stringify(reply))
}

for (const version of [4, 2] as ClientVersion[]) {
  t.test(`socket.io-client ${version}.x`, async (t) => {
    const { url } = await startApp(t, dasOverrides())
    const aliceToken = await oauthToken(url, ALICE)
    const adminToken = await oauthToken(url, ADMIN)

    t.test('subject_update: bbox on the last position, track only for trackUsers', async (t) => {
      const alice = await authorizedClient(t, url, aliceToken, { version })
      const admin = await authorizedClient(t, url, adminToken, { version })
      const anonymous = await openClient(t, url, { version })
      await setBbox(alice, '30,-5,40,5')
      const subject = { id: 's1', name: 'Elephant', subject_type: 'wildlife', last_position: point(36.8, -1.3) }
      const track = { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'LineString', coordinates: [[36.8, -1.3], [36.7, -1.2]] } }] }

      t.equal((await subjectUpdate(url, { subject, track, trackUsers: ['admin'] })).status, 202)
      const { trace_id: traceId, ...toAlice } = await alice.next('subject_update')
      t.same(toAlice, { type: 'subject_update', data: subject, mid: 1 })
      t.notOk('track' in toAlice.data, 'alice is not authorised for the track')
      t.match(traceId, new RegExp(`^trace-${alice.id.replace(/[/#]/g, '\\$&')}-\\d+\\.\\d{6}$`))
      const toAdmin = await admin.next('subject_update')
      t.same(toAdmin.data, { ...subject, track })
      t.equal(toAdmin.mid, 1)

      // Outside alice's bbox: only admin (no bbox) gets it.
      const far = await subjectUpdate(url, { subject: { ...subject, last_position: point(10, 10) }, track })
      t.equal(far.status, 202, JSON.stringify(far.body))
      t.same((await admin.next('subject_update')).data.track, track, 'trackUsers omitted: every recipient sees the track')
      await alice.expectNothing('subject_update', QUIET_LOCAL)

      // No known position: the bbox cannot exclude it.
      await subjectUpdate(url, { subject: { id: 's2', name: 'Radio' } })
      t.same((await alice.next('subject_update')).data, { id: 's2', name: 'Radio' })
      t.equal((await admin.next('subject_update')).mid, 3)
      await anonymous.expectNothing('subject_update', QUIET_LOCAL)
    })

    t.test('mid counts per socket and per type; traced events carry trace_id, service_status not', async (t) => {
      const a = await authorizedClient(t, url, aliceToken, { version })
      const b = await authorizedClient(t, url, adminToken, { version })
      await emit(url, { type: 'new_event', data: { event_id: 'e1', event_data: { title: 'one' } } })
      await emit(url, { type: 'new_event', data: { event_id: 'e2', event_data: { title: 'two' } } })
      await emit(url, { type: 'update_event', data: { event_id: 'e1', event_data: { title: 'one!' } } })
      await emit(url, { type: 'service_status', data: { services: [{ name: 'x', status: 'ok' }] } })
      for (const client of [a, b]) {
        const first = await client.next('new_event')
        t.match(first, { type: 'new_event', event_id: 'e1', mid: 1, matches_current_filter: true })
        t.equal((await client.next('new_event')).mid, 2)
        t.equal((await client.next('update_event')).mid, 1)
        const status = await client.next('service_status')
        t.same(status, { type: 'service_status', services: [{ name: 'x', status: 'ok' }], mid: 1 })
      }
    })

    t.test('targeted emits: by sid, by username, both', async (t) => {
      const alice1 = await authorizedClient(t, url, aliceToken, { version })
      const alice2 = await authorizedClient(t, url, aliceToken, { version })
      const admin = await authorizedClient(t, url, adminToken, { version })
      const unauthenticated = await openClient(t, url, { version })

      await emit(url, { type: 'new_announcement', data: { n: 1 }, sid: alice2.id })
      t.equal((await alice2.next('new_announcement')).n, 1)

      await emit(url, { type: 'new_announcement', data: { n: 2 }, username: 'alice' })
      t.equal((await alice1.next('new_announcement')).n, 2)
      t.equal((await alice2.next('new_announcement')).n, 2)

      await emit(url, { type: 'new_announcement', data: { n: 3 }, sid: admin.id, username: 'alice' })
      await emit(url, { type: 'new_announcement', data: { n: 4 }, sid: unauthenticated.id })
      await emit(url, { type: 'new_announcement', data: { n: 5 }, sid: 'no-such-sid' })
      await emit(url, { type: 'new_announcement', data: { n: 6 }, sid: admin.id, username: 'admin' })
      t.equal((await admin.next('new_announcement')).n, 6, 'admin gets only the emit for its sid and name')
      await Promise.all([alice1, alice2, admin, unauthenticated].map((c) => c.expectNothing('new_announcement', QUIET_LOCAL)))
    })

    t.test('acknowledged traces keep the socket; an unacknowledged one past traceTtl drops it', async (t) => {
      // A short traceTtl here only: 300 ms, sweep every 50 ms.
      const { url } = await startApp(t, dasOverrides({ traceTtl: 300 }))
      const aliceToken = await oauthToken(url, ALICE)
      const acking = await authorizedClient(t, url, aliceToken, { version })
      const silent = await authorizedClient(t, url, aliceToken, { version, autoAck: false })
      const manual = await authorizedClient(t, url, aliceToken, { version, autoAck: false })
      const wrong = await authorizedClient(t, url, aliceToken, { version, autoAck: false })
      await emit(url, { type: 'radio_message', data: { text: 'hello' } })
      await acking.next('radio_message')
      await silent.next('radio_message')
      const entry = await manual.nextEntry('radio_message')
      entry.ack?.(entry.payload.trace_id)
      const wrongEntry = await wrong.nextEntry('radio_message')
      wrongEntry.ack?.('trace-somebody-else')
      t.equal(await silent.disconnected(300 + 50 + 1000), 'io server disconnect', 'never acknowledged: dropped')
      t.equal(await wrong.disconnected(1000), 'io server disconnect', 'acknowledged with another trace_id: dropped')
      // Both were dropped by the sweep that found the trace expired; two more sweeps (50 ms).
      await acking.staysConnected(100)
      t.ok(acking.connected && manual.connected, 'the acknowledging sockets stay')
    })

    t.test('service_status needs no ack', async (t) => {
      const { url } = await startApp(t, dasOverrides({ traceTtl: 300 }))
      const silent = await authorizedClient(t, url, await oauthToken(url, ALICE), { version, autoAck: false })
      await emit(url, { type: 'service_status', data: { services: [] } })
      t.notOk('trace_id' in await silent.next('service_status'))
      // Past traceTtl (300) and two sweeps (50 each).
      await silent.staysConnected(400)
      t.ok(silent.connected)
    })
  })
}

t.test('filters: matches_current_filter, bbox on events, patrol status, deletions always pass', async (t) => {
  const { url } = await startApp(t, dasOverrides())
  const alice = await authorizedClient(t, url, await oauthToken(url, ALICE))
  await alice.request('event_filter', { text: 'arrest', state: ['new', 'active'] }, 'event_filter_response')
  await alice.request('patrol_filter', { status: ['active'] }, 'patrol_filter_response')
  await setBbox(alice, '30,-5,40,5')

  const inside = { latitude: -1, longitude: 36 }
  await emit(url, { type: 'new_event', data: { event_id: 'e1', event_data: { title: 'Arrest made', state: 'new', location: inside } } })
  t.match(await alice.next('new_event'), { event_id: 'e1', matches_current_filter: true })
  await emit(url, { type: 'update_event', data: { event_id: 'e2', event_data: { title: 'Fire', state: 'new', location: inside } } })
  t.match(await alice.next('update_event'), { event_id: 'e2', matches_current_filter: false })
  await emit(url, { type: 'update_event', data: { event_id: 'e3', event_data: { title: 'Arrest', state: 'resolved' } } })
  t.match(await alice.next('update_event'), { event_id: 'e3', matches_current_filter: false })

  await emit(url, { type: 'new_event', data: { event_id: 'far', event_data: { title: 'arrest', location: { latitude: 50, longitude: 8 } } } })
  await alice.expectNothing('new_event', QUIET_LOCAL)
  await emit(url, { type: 'delete_event', data: { event_id: 'far', event_data: null, matches_current_filter: false } })
  t.match(await alice.next('delete_event'), { type: 'delete_event', event_id: 'far', mid: 1 })

  await emit(url, { type: 'new_patrol', data: { id: 'p1', state: 'done' } })
  await emit(url, { type: 'new_patrol', data: { id: 'p2', state: 'active' } })
  t.match(await alice.next('new_patrol'), { id: 'p2', mid: 1 })

  // subject_status is a GeoJSON Feature: its own `type` stays.
  await emit(url, { type: 'subject_status', data: { ...point(36, 0), properties: { id: 's1' } } })
  t.match(await alice.next('subject_status'), { type: 'Feature', properties: { id: 's1' }, mid: 1 })
  await emit(url, { type: 'subject_status', data: { ...point(0, 0), properties: { id: 's2' } } })
  await alice.expectNothing('subject_status', QUIET_LOCAL)

  // A generic subject_update wraps the data as the subject, bbox included.
  await emit(url, { type: 'subject_update', data: { id: 's3', last_position: point(36, 0) } })
  t.match(await alice.next('subject_update'), { type: 'subject_update', data: { id: 's3' }, mid: 1 })
})

t.test('companion REST: auth and validation', async (t) => {
  const { url } = await startApp(t, dasOverrides())
  const body = { type: 'new_event', data: {} }
  t.equal((await request(url, 'POST', '/api/das/emit', { body })).status, 401)
  t.equal((await request(url, 'POST', '/api/das/emit', { body, token: await oauthToken(url, ALICE) })).status, 403)
  t.equal((await request(url, 'POST', '/api/das/emit', { body, token: await oauthToken(url, ADMIN) })).status, 202)
  const unsupported = await emit(url, { type: 'subject_position_update', data: {} })
  t.equal(unsupported.status, 400)
  t.match(unsupported.body.message, /unsupported type/)
  t.equal((await emit(url, { type: 'new_event' })).status, 400)
  t.equal((await emit(url, { type: 'new_event', data: [] })).status, 400)
  t.equal((await emit(url, { type: 'new_event', data: {}, sid: '' })).status, 400)
  t.equal((await subjectUpdate(url, {})).status, 400)
  t.equal((await subjectUpdate(url, { subject: {}, trackUsers: { admin: true } })).status, 400)
  t.same((await subjectUpdate(url, { subject: { id: 1 } })).body, { accepted: true })
  const docs = await request(url, 'GET', '/docs/json')
  t.ok(docs.body.paths['/api/das/emit'].post, 'documented in OpenAPI')
  t.ok(docs.body.paths['/api/das/subject-updates'].post)
})

t.test('a removed user\'s sockets are dropped', async (t) => {
  const { url } = await startApp(t, dasOverrides())
  const created = await request(url, 'POST', '/api/admin/users', { apiKey: TEST_API_KEY, body: { username: 'bob', password: 'bob-pass' } })
  t.equal(created.status, 201)
  const bob = await authorizedClient(t, url, await oauthToken(url, { username: 'bob', password: 'bob-pass' }))
  const alice = await authorizedClient(t, url, await oauthToken(url, ALICE))
  t.equal((await request(url, 'DELETE', '/api/admin/users/bob', { apiKey: TEST_API_KEY })).status, 204)
  await bob.disconnected()
  await alice.staysConnected(QUIET_LOCAL)
})
