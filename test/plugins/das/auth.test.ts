import t from 'tap'
import { startApp } from '../../helpers/app.js'
import { ALICE } from '../../helpers/config.js'
import { AUTH_WINDOW, authorizedClient, dasOverrides, oauthToken, openClient, type ClientVersion } from './das-client.js'

// docs/protocols/das.md §5.3, §5.5, §5.6, §5.8 items 1, 2, 5, 6, 12 — with socket.io-client 4.x and 2.x.
for (const version of [4, 2] as ClientVersion[]) {
  t.test(`socket.io-client ${version}.x`, async (t) => {
    const { url } = await startApp(t, dasOverrides())
    const token = await oauthToken(url, ALICE)

    t.test('authorization with a valid OAuth token: 200 OK echoing the id', async (t) => {
      const client = await openClient(t, url, { version })
      const reply = await client.authorize(token, 7)
      t.same(reply, { type: 'resp_authorization', resp_id: 7, status: { code: 200, message: 'OK' } })
      // Past the auth window (it started at connect, before authorizing) it stays connected.
      await client.staysConnected(AUTH_WINDOW)
      t.ok(client.connected, 'connected past the window')
    })

    t.test('the seed spelling `Authorization` works too', async (t) => {
      const client = await openClient(t, url, { version })
      const reply = await client.request('authorization', { type: 'authorization', id: 1, Authorization: `Bearer ${token}` }, 'resp_authorization')
      t.equal(reply.status.code, 200)
    })

    t.test('a bad token: 401 Invalid credentials, then dropped when the window ends', async (t) => {
      const client = await openClient(t, url, { version })
      const started = Date.now()
      const reply = await client.authorize('not-a-token', 2)
      t.same(reply, { type: 'resp_authorization', resp_id: 2, status: { code: 401, message: 'Invalid credentials' } })
      t.ok(client.connected, 'not dropped at once (§5.8 item 6)')
      await client.disconnected(AUTH_WINDOW + 500)
      t.ok(Date.now() - started >= AUTH_WINDOW - 100, 'dropped by the auth window, not by the 401')
    })

    t.test('no Bearer prefix: 401', async (t) => {
      const client = await openClient(t, url, { version })
      const reply = await client.request('authorization', { type: 'authorization', id: 3, authorization: token }, 'resp_authorization')
      t.equal(reply.status.code, 401)
      t.equal(reply.status.message, 'Invalid credentials')
      await client.disconnected(AUTH_WINDOW + 500)
    })

    t.test('missing id: 400 with resp_id null, then disconnected (§5.8 item 12)', async (t) => {
      const client = await openClient(t, url, { version })
      const reply = await client.request('authorization', { type: 'authorization', authorization: `Bearer ${token}` }, 'resp_authorization')
      t.same(reply, { type: 'resp_authorization', resp_id: null, status: { code: 400, message: 'Required fields: "type", "authorization", "id"' } })
      await client.disconnected(300)
    })

    t.test('missing authorization or type field: 400 with the resp_id, then disconnected', async (t) => {
      for (const message of [{ type: 'authorization', id: 4 }, { id: 4, authorization: `Bearer ${token}` }, { type: 'authorization', id: 4, authorization: 42 }]) {
        const client = await openClient(t, url, { version })
        const reply = await client.request('authorization', message, 'resp_authorization')
        t.equal(reply.status.code, 400, JSON.stringify(message))
        t.equal(reply.resp_id, 4)
        await client.disconnected(300)
      }
    })

    t.test('not an object at all: 400, then disconnected', async (t) => {
      const client = await openClient(t, url, { version })
      const reply = await client.request('authorization', 'Bearer x', 'resp_authorization')
      t.equal(reply.status.code, 400)
      t.equal(reply.resp_id, null)
      await client.disconnected(300)
    })

    t.test('no authorization within the window: disconnected', async (t) => {
      const client = await openClient(t, url, { version })
      const started = Date.now()
      await client.disconnected(AUTH_WINDOW + 500)
      t.ok(Date.now() - started >= AUTH_WINDOW - 100)
    })

    t.test('flooding before authorization cannot hold the socket past the window', async (t) => {
      const client = await openClient(t, url, { version })
      const flood = setInterval(() => {
        for (let i = 0; i < 20; i++) {
          client.emit('echo', { data: i })
          client.emit('authorization', { type: 'authorization', id: i, authorization: 'Bearer nope' })
          client.emit('whatever', { data: i })
        }
      }, 5)
      t.teardown(() => clearInterval(flood))
      const started = Date.now()
      t.equal(await client.disconnected(AUTH_WINDOW + 500), 'io server disconnect', 'the server dropped it')
      clearInterval(flood)
      t.ok(Date.now() - started < AUTH_WINDOW + 500, 'when the window ended, flood or not')
    })

    t.test('connect_ack arrives after connectAckDelay, authenticated or not', async (t) => {
      const anonymous = await openClient(t, url, { version })
      t.same(await anonymous.next('connect_ack'), { type: 'connect_ack', message: 'Connect acknowledgment.' })
      const authorized = await authorizedClient(t, url, token, { version })
      t.same(await authorized.next('connect_ack'), { type: 'connect_ack', message: 'Connect acknowledgment.' })
    })
  })
}

t.test('connect_ack waits for its delay; the auth window is configurable', async (t) => {
  const { url } = await startApp(t, dasOverrides({ connectAckDelay: 300, authWindow: 1500 }))
  const client = await openClient(t, url)
  await client.expectNothing('connect_ack', 200)
  t.same(await client.next('connect_ack', 1000), { type: 'connect_ack', message: 'Connect acknowledgment.' }, 'after the delay')
  // Unauthorized, past the 500 ms window of dasOverrides: the configured 1500 ms holds.
  await client.staysConnected(300)
  t.ok(client.connected, 'still connected')
})

t.test('long-polling clients work on the same path (not answered by Fastify)', async (t) => {
  const { url } = await startApp(t, dasOverrides())
  const token = await oauthToken(url, ALICE)
  for (const version of [4, 2] as ClientVersion[]) {
    const client = await authorizedClient(t, url, token, { version, transports: ['polling'] })
    t.same(await client.request('echo', { data: 'hi' }, 'echo_resp'), { type: 'echo_resp', resp_id: 5, message: 'hi' })
  }
})

t.test('a connection on the main namespace only is dropped when the auth window ends', async (t) => {
  const { url } = await startApp(t, dasOverrides())
  for (const version of [4, 2] as ClientVersion[]) {
    const client = await openClient(t, url, { version, namespace: '/' })
    t.equal(await client.disconnected(AUTH_WINDOW + 500), 'io server disconnect', `v${version}: dropped by the server`)
  }
})
