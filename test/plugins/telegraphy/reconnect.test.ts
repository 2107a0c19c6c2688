import t from 'tap'
import { startApp } from '../../helpers/app.js'
import { eventually } from '../../helpers/ws-client.js'
import { connected, emit, frames, open, subscribe, telegraphyOverrides } from './helpers.js'
import { QUIET_LOCAL } from '../../helpers/quiet.js'

const sessionKey = (token: string) => `telegraphy:session:${token}`

t.test('RECONNECT within the window restores subscriptions and delivers missed events once, in order', async (t) => {
  const { app, url, wsUrl } = await startApp(t, telegraphyOverrides())
  const store = app.services.store
  const { client, sessionToken } = await connected(url, wsUrl)
  await subscribe(client, 1, { event_name: 'demo.Item', permanent: true })
  await subscribe(client, 2, { event_name: 'lazy.X', filters: { n: 2 }, lazy: true, permanent: true })
  await subscribe(client, 3, { event_name: 'lazy.X', filters: { n: 2 }, lazy: true })
  client.close()
  await eventually(async () => (await store.get(sessionKey(sessionToken))) !== null, 2000, 'session kept')

  await emit(url, 'demo.Item', { id: 1 })
  await emit(url, 'lazy.X', { n: 1 })
  await emit(url, 'lazy.X', { n: 2 })
  await emit(url, 'demo.Item', { id: 2 })

  const back = await open(wsUrl)
  const reply = await back.request({ message: 'RECONNECT', id: 100, session_token: sessionToken })
  const subscriptions = [
    { event_name: 'demo.Item', filters: null, permanent: true, lazy: false },
    { event_name: 'lazy.X', filters: { n: 2 }, permanent: false, lazy: true }, // the second SUBSCRIBE updated the flags
  ]
  t.same(reply, { success: true, status: 'CONNECTED', message: 'CONNECTED', id: 100, subscriptions, data: { subscriptions } })
  t.same((await frames(back, 3)).map((e) => [e.name, e.data]), [['demo.Item', { id: 1 }], ['lazy.X', { n: 2 }], ['demo.Item', { id: 2 }]], 'missed events after the reply, in order')
  await back.expectNothing(QUIET_LOCAL)
  await emit(url, 'demo.Item', { id: 3 })
  t.match(await back.json(), { name: 'demo.Item', data: { id: 3 } }, 'live again')
  await back.expectNothing(QUIET_LOCAL)
  t.match(await back.request({ message: 'UNSUBSCRIBE', id: 101, args: { event_name: 'lazy.X', filters: { n: 2 } } }), { status: 'UNSUBSCRIBED' })

  // The same session token works for the next drop (the seed: no new token), args placement too.
  back.close()
  await eventually(async () => (await store.get(sessionKey(sessionToken))) !== null, 2000, 'session kept again')
  await emit(url, 'demo.Item', { id: 4 })
  const again = await open(wsUrl)
  t.match(await again.request({ message: 'RECONNECT', id: 200, args: { session_token: sessionToken } }), {
    status: 'CONNECTED', id: 200, subscriptions: [{ event_name: 'demo.Item' }],
  })
  t.match(await again.json(), { data: { id: 4 } })
  t.equal(await store.get(sessionKey(sessionToken)), null, 'the record is taken')
})

t.test('a single node keeps no store copy of a connected session\'s subscriptions: they are written as it drops (issue 21)', async (t) => {
  const { app, url, wsUrl } = await startApp(t, telegraphyOverrides())
  const store = app.services.store
  const stored = async (token: string) => Array.from((await store.hashGetAll(`telegraphy:subs:${token}`)).values(), (v) => JSON.parse(v).view.event_name).sort()
  const { client, sessionToken } = await connected(url, wsUrl)
  await subscribe(client, 1, { event_name: 'demo.Item' })
  await subscribe(client, 2, { event_name: 'lazy.X', filters: { n: 1 }, lazy: true })
  t.same(await stored(sessionToken), [], 'none while connected')
  client.close()
  await eventually(async () => (await store.get(sessionKey(sessionToken))) !== null, 2000, 'session kept')
  t.same(await stored(sessionToken), ['demo.Item', 'lazy.X'], 'both, once dropped')
  const back = await open(wsUrl)
  t.match(await back.request({ message: 'RECONNECT', id: 3, session_token: sessionToken }), { status: 'CONNECTED', subscriptions: [{ event_name: 'demo.Item' }, { event_name: 'lazy.X' }] })
  t.same(await stored(sessionToken), [], 'gone again once resumed')
})

t.test('RECONNECT after the window, with an unknown token, or twice: INVALID_SESSION and close', async (t) => {
  const { app, url, wsUrl } = await startApp(t, telegraphyOverrides({ reconnectWindow: 150, handoverTimeout: 100 }))
  const store = app.services.store
  const { client, sessionToken } = await connected(url, wsUrl)
  await subscribe(client, 1, { event_name: 'demo.Item' })
  client.close()
  await eventually(async () => (await store.get(sessionKey(sessionToken))) !== null, 2000, 'session kept')
  await eventually(async () => (await store.get(sessionKey(sessionToken))) === null, 2000, 'window over')
  const late = await open(wsUrl)
  t.match(await late.request({ message: 'RECONNECT', id: 1, session_token: sessionToken }), { success: false, status: 'INVALID_SESSION', id: 1, data: { message: String } })
  await late.closed()
  await eventually(() => app.services.hub.subscriberCount('telegraphy:demo.Item') === 0, 2000, 'hub subscription dropped after the window')

  const unknown = await open(wsUrl)
  t.match(await unknown.request({ message: 'RECONNECT', id: 2, session_token: 'nope' }), { status: 'INVALID_SESSION', id: 2 })
  await unknown.closed()

  // Of two concurrent RECONNECTs with one token, exactly one wins.
  const second = await connected(url, wsUrl)
  second.client.close()
  await eventually(async () => (await store.get(sessionKey(second.sessionToken))) !== null, 2000, 'session kept')
  const racers = await Promise.all([open(wsUrl), open(wsUrl), open(wsUrl)])
  for (const r of racers) r.send({ message: 'RECONNECT', id: 3, session_token: second.sessionToken })
  const replies = await Promise.all(racers.map((r) => r.json()))
  t.same(replies.map((r) => r.status).sort(), ['CONNECTED', 'INVALID_SESSION', 'INVALID_SESSION'])
})

t.test('RECONNECT from a different client address is refused and leaves the session alone', async (t) => {
  const { app, url, wsUrl } = await startApp(t, telegraphyOverrides())
  const store = app.services.store
  const { client, sessionToken } = await connected(url, wsUrl)
  await subscribe(client, 1, { event_name: 'demo.Item' })
  client.close()
  await eventually(async () => (await store.get(sessionKey(sessionToken))) !== null, 2000, 'session kept')
  await emit(url, 'demo.Item', { id: 1 })

  const thief = await open(wsUrl, { localAddress: '127.0.0.2' })
  t.match(await thief.request({ message: 'RECONNECT', id: 1, session_token: sessionToken }), { success: false, status: 'INVALID_SESSION', id: 1 })
  await thief.closed()

  const owner = await open(wsUrl, { localAddress: '127.0.0.1' })
  t.match(await owner.request({ message: 'RECONNECT', id: 2, session_token: sessionToken }), { success: true, status: 'CONNECTED', id: 2 })
  t.match(await owner.json(), { name: 'demo.Item', data: { id: 1 } })
})
