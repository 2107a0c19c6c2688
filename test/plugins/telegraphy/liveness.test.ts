import t from 'tap'
import { buildApp } from '../../../src/app.js'
import { testConfig } from '../../helpers/config.js'
import { eventually } from '../../helpers/ws-client.js'
import { clusterOf, connected, crash, emit, open, storedSession, subscribe } from './helpers.js'

// Sessions of a node that dies while they are connected (README "Sessions and RECONNECT"):
// a live record per connected session and a heartbeat per node, both in the shared store.

const liveKey = (token: string) => `telegraphy:live:${token}`
const sessionKey = (token: string) => `telegraphy:session:${token}`

t.test('a connected session has a live record that follows its subscriptions; a drop replaces it', async (t) => {
  const { nodes: [a] } = await clusterOf(t, 1)
  const store = a.app.services.store
  const live = async (token: string) => (await storedSession(store, liveKey(token), token))!
  const { client, sessionToken } = await connected(a.url, a.wsUrl)
  t.match(await live(sessionToken), { principal: { kind: 'user', username: 'alice' }, address: '127.0.0.1', holder: String, subscriptions: [] }, 'written at CONNECT')

  await subscribe(client, 1, { event_name: 'demo.Item', filters: { n: 1 }, permanent: true })
  t.same((await live(sessionToken)).subscriptions, [{ event_name: 'demo.Item', filters: { n: 1 }, permanent: true, lazy: false }], 'SUBSCRIBE is in it before its reply')
  t.match(await client.request({ message: 'UNSUBSCRIBE', id: 2, args: { event_name: 'demo.Item', filters: { n: 1 } } }), { status: 'UNSUBSCRIBED' })
  t.same((await live(sessionToken)).subscriptions, [], 'so is UNSUBSCRIBE')
  await subscribe(client, 3, { event_name: 'demo.Item' })

  client.close()
  await eventually(async () => (await store.get(sessionKey(sessionToken))) !== null && (await store.get(liveKey(sessionToken))) === null, 2000, 'the dropped record replaces the live one')
  const back = await open(a.wsUrl)
  t.match(await back.request({ message: 'RECONNECT', id: 4, session_token: sessionToken }), { status: 'CONNECTED' })
  t.match(await live(sessionToken), { subscriptions: [{ event_name: 'demo.Item' }] }, 'written again at RECONNECT')
})

t.test('a live record the store lost is written again within a refresh turn (60 heartbeats)', async (t) => {
  const { nodes: [a] } = await clusterOf(t, 1, { nodeHeartbeat: 10 })
  const store = a.app.services.store
  const { client, sessionToken } = await connected(a.url, a.wsUrl)
  await subscribe(client, 1, { event_name: 'demo.Item' })
  t.equal(await store.delete(liveKey(sessionToken)), true)
  await eventually(async () => (await store.get(liveKey(sessionToken))) !== null, 3000, 'written again')
  t.match(await storedSession(store, liveKey(sessionToken), sessionToken), { subscriptions: [{ event_name: 'demo.Item' }] })
})

t.test('a connected session is refused while its node beats, and resumes on a survivor once that node died', async (t) => {
  const { nodes: [a, b] } = await clusterOf(t, 2, { nodeHeartbeat: 100 })
  const { client, sessionToken } = await connected(a.url, a.wsUrl)
  await subscribe(client, 1, { event_name: 'demo.Item' })

  const early = await open(b.wsUrl)
  t.match(await early.request({ message: 'RECONNECT', id: 2, session_token: sessionToken }), { success: false, status: 'INVALID_SESSION', id: 2 }, 'connected on a live node (decision 7)')
  await early.closed()
  t.not(await b.app.services.store.get(liveKey(sessionToken)), null, 'the refusal leaves the session alone')
  await emit(b.url, 'demo.Item', { n: 1 })
  t.match(await client.json(), { data: { n: 1 } }, 'still connected on A')

  await crash(a.app)
  client.close()
  const thief = await open(b.wsUrl, { localAddress: '127.0.0.2' })
  t.match(await thief.request({ message: 'RECONNECT', id: 3, session_token: sessionToken }), { status: 'INVALID_SESSION' }, 'another address is refused')
  await thief.closed()

  const back = await open(b.wsUrl)
  t.match(await back.request({ message: 'RECONNECT', id: 4, session_token: sessionToken }), {
    success: true, status: 'CONNECTED', id: 4, subscriptions: [{ event_name: 'demo.Item', filters: null }],
  }, 'resumed on B once A stopped beating')
  await emit(b.url, 'demo.Item', { n: 2 })
  t.match(await back.json(), { data: { n: 2 } }, 'subscriptions restored')
  await back.expectNothing(200)
  t.match(await storedSession(b.app.services.store, liveKey(sessionToken), sessionToken), { subscriptions: [{ event_name: 'demo.Item' }] }, 'live on B now')

  const again = await open(b.wsUrl)
  t.match(await again.request({ message: 'RECONNECT', id: 5, session_token: sessionToken }), { status: 'INVALID_SESSION' }, 'connected on B: refused')
  await again.closed()
})

t.test('nodeHeartbeat 0 is refused when the plugin registers', async (t) => {
  await t.rejects(buildApp(testConfig({ protocols: { telegraphy: { nodeHeartbeat: 0 } } }), { logger: false }), /nodeHeartbeat must be more than 0/)
})
