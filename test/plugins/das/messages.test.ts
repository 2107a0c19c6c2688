import t from 'tap'
import { startApp } from '../../helpers/app.js'
import { ALICE } from '../../helpers/config.js'
import { authorizedClient, dasOverrides, oauthToken, openClient, type ClientVersion } from './das-client.js'
import { QUIET_LOCAL } from '../../helpers/quiet.js'

// Client messages of docs/protocols/das.md §5.3 and their responses (§5.8 items 4, 9, 10), both client versions.
for (const version of [4, 2] as ClientVersion[]) {
  t.test(`socket.io-client ${version}.x`, async (t) => {
    const { url } = await startApp(t, dasOverrides())
    const token = await oauthToken(url, ALICE)

    t.test('bbox: saved, echoed as an object; resp_id only with an id', async (t) => {
      const client = await authorizedClient(t, url, token, { version })
      t.same(await client.request('bbox', { data: '36.1,-1.5,37.25,0.5' }, 'bbox_resp'), {
        type: 'bbox_resp', message: 'bbox saved.', bbox: { west: 36.1, south: -1.5, east: 37.25, north: 0.5 },
      })
      t.same(await client.request('bbox', { id: 9, data: '-10,-10,10,10' }, 'bbox_resp'), {
        type: 'bbox_resp', message: 'bbox saved.', bbox: { west: -10, south: -10, east: 10, north: 10 }, resp_id: 9,
      })
    })

    t.test('bbox: empty or null clears it (§5.8 item 9)', async (t) => {
      const client = await authorizedClient(t, url, token, { version })
      for (const data of ['', null]) {
        t.same(await client.request('bbox', { data }, 'bbox_resp'), { type: 'bbox_resp', message: 'bbox saved.', bbox: null })
      }
    })

    t.test('bbox: malformed values get an error reply and the socket lives on', async (t) => {
      const client = await authorizedClient(t, url, token, { version })
      for (const bad of [{ data: '1,2,3' }, { data: 'a,b,c,d' }, { data: '1,2,,4' }, { data: '0,50,10,40' }, { data: '200,0,210,10' }, { data: 5 }, {}, 'x', null]) {
        const reply = await client.request('bbox', bad, 'bbox_resp')
        t.equal(reply.message, 'Failed to set bbox.', JSON.stringify(bad))
        t.type(reply.error, 'string')
      }
      t.same((await client.request('echo', { data: 1 }, 'echo_resp')).message, 1)
    })

    t.test('bbox before authorization is answered too', async (t) => {
      const client = await openClient(t, url, { version })
      t.equal((await client.request('bbox', { data: '1,2,3,4' }, 'bbox_resp')).message, 'bbox saved.')
    })

    t.test('event_filter: saved and echoed; a non-string text fails', async (t) => {
      const client = await authorizedClient(t, url, token, { version })
      t.same(await client.request('event_filter', { text: 'arrest' }, 'event_filter_response'), { message: 'Event filter has been saved.', filter: { text: 'arrest' } })
      t.same(await client.request('event_filter', {}, 'event_filter_response'), { message: 'Event filter has been saved.', filter: {} })
      const full = { filter: { event_type: ['arrest_rep'], date_range: { lower: '2020-01-01' } }, state: ['active', 'new'] }
      t.same(await client.request('event_filter', { ...full, id: 3 }, 'event_filter_response'), { message: 'Event filter has been saved.', filter: full, resp_id: 3 })
      for (const bad of [{ text: 42 }, { state: 'active' }, 'text', null]) {
        const reply = await client.request('event_filter', bad, 'event_filter_response')
        t.equal(reply.message, 'Failed to set event_filter.', JSON.stringify(bad))
        t.type(reply.error, 'string')
        t.notOk('filter' in reply)
      }
    })

    t.test('patrol_filter: saved and echoed; malformed fails', async (t) => {
      const client = await authorizedClient(t, url, token, { version })
      const filter = { filter: { date_range: { lower: '2020-01-01' } }, status: ['active'] }
      t.same(await client.request('patrol_filter', filter, 'patrol_filter_response'), { message: 'Patrol filter has been saved.', filter })
      for (const bad of [{ status: 'active' }, { filter: [] }, 7]) {
        const reply = await client.request('patrol_filter', bad, 'patrol_filter_response')
        t.equal(reply.message, 'Failed to set patrol_filter.', JSON.stringify(bad))
        t.type(reply.error, 'string')
      }
    })

    t.test('echo: resp_id 5 upstream, the request id when given', async (t) => {
      const client = await authorizedClient(t, url, token, { version })
      t.same(await client.request('echo', { data: { a: [1, 2] } }, 'echo_resp'), { type: 'echo_resp', resp_id: 5, message: { a: [1, 2] } })
      t.same(await client.request('echo', { id: 12, data: 'x' }, 'echo_resp'), { type: 'echo_resp', resp_id: 12, message: 'x' })
      t.same(await client.request('echo', {}, 'echo_resp'), { type: 'echo_resp', resp_id: 5, message: null })
      t.same(await client.request('echo', 'bare', 'echo_resp'), { type: 'echo_resp', resp_id: 5, message: null })
    })

    t.test('unknown events and argument-less messages are ignored without harm', async (t) => {
      const client = await authorizedClient(t, url, token, { version })
      client.emit('no_such_event', { data: 1 })
      client.emit('echo')
      t.same(await client.next('echo_resp'), { type: 'echo_resp', resp_id: 5, message: null })
      client.emit('bbox')
      t.equal((await client.next('bbox_resp')).message, 'Failed to set bbox.')
      await client.staysConnected(QUIET_LOCAL)
      t.equal((await client.request('echo', { data: 'still here' }, 'echo_resp')).message, 'still here')
    })
  })
}
