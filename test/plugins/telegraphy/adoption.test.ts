import t from 'tap'
import { eventually } from '../../helpers/ws-client.js'
import { clusterOf, connected, emit, frames, open, redisOf, subscribe } from './helpers.js'
import { QUIET_CLUSTER } from '../../helpers/quiet.js'

// A node that stops gracefully has another node adopt its dropped sessions, so the events
// emitted after it stopped are kept for their RECONNECT (README "Sessions and RECONNECT").

const sessionKey = (token: string) => `telegraphy:session:${token}`
const missedKey = (token: string) => `telegraphy:missed:${token}`

t.test('a graceful stop has another node adopt the dropped session: later events kept, each delivered once', async (t) => {
  const { nodes: [a, b] } = await clusterOf(t, 2, { reconnectWindow: 3000 })
  const store = b.app.services.store
  const { client, sessionToken } = await connected(a.url, a.wsUrl)
  await subscribe(client, 1, { event_name: 'demo.Item' })
  const closing = a.app.close()
  t.equal((await client.closed()).code, 1001, 'going away')
  await eventually(async () => (await store.get(sessionKey(sessionToken))) !== null, 2000, 'session dropped')
  await emit(b.url, 'demo.Item', { n: 1 }) // while A stops: A, B or both keep it
  await closing
  await emit(b.url, 'demo.Item', { n: 2 }) // A is gone: only B keeps it

  const { holder } = JSON.parse((await store.get(sessionKey(sessionToken)))!)
  const adopter = await store.get(`telegraphy:adopt:${sessionToken}:${holder}`)
  t.type(adopter, 'string', 'an adopter is named for the record\'s holder')
  t.not(adopter, holder)
  t.equal(b.app.services.hub.subscriberCount('telegraphy:demo.Item'), 1, 'B keeps the session')

  // Events both nodes kept are twice in the list: make sure of one such copy.
  const { redis, key } = redisOf(t, b.app)
  await eventually(async () => (await redis.llen(key(missedKey(sessionToken)))) >= 2, 2000, 'both events kept')
  const [first] = await redis.lrange(key(missedKey(sessionToken)), 0, 0)
  await redis.rpush(key(missedKey(sessionToken)), first)

  const back = await open(b.wsUrl)
  t.match(await back.request({ message: 'RECONNECT', id: 2, session_token: sessionToken }), { status: 'CONNECTED', id: 2, subscriptions: [{ event_name: 'demo.Item' }] })
  t.same((await frames(back, 2)).map((e) => e.data.n), [1, 2], 'in order')
  await back.expectNothing(QUIET_CLUSTER)
  await emit(b.url, 'demo.Item', { n: 3 })
  t.match(await back.json(), { data: { n: 3 } }, 'live on B')
  await eventually(() => b.app.services.hub.subscriberCount('telegraphy:demo.Item') === 1, 2000, 'the adopted copy let go')
})

t.test('of two candidate nodes exactly one adopts each session', async (t) => {
  const { nodes: [a, b, c] } = await clusterOf(t, 3, { reconnectWindow: 3000 })
  const sessions = await Promise.all(Array.from({ length: 4 }, () => connected(a.url, a.wsUrl)))
  for (const { client } of sessions) await subscribe(client, 1, { event_name: 'adopt.Once', lazy: true })
  await a.app.close()

  const topic = 'telegraphy:adopt.Once'
  t.equal(b.app.services.hub.subscriberCount(topic) + c.app.services.hub.subscriberCount(topic), 4, 'one keeper per session')
  await emit(b.url, 'adopt.Once', { n: 1 })
  const { redis, key } = redisOf(t, b.app)
  const lengths = () => Promise.all(sessions.map(({ sessionToken }) => redis.llen(key(missedKey(sessionToken)))))
  await eventually(async () => (await lengths()).every((n) => n > 0), 2000, 'the event kept for every session')
  t.same(await lengths(), [1, 1, 1, 1], 'kept once each')

  for (const [i, { sessionToken }] of sessions.entries()) {
    const back = await open([b, c][i % 2].wsUrl)
    t.match(await back.request({ message: 'RECONNECT', id: 2, session_token: sessionToken }), { status: 'CONNECTED' })
    t.match(await back.json(), { data: { n: 1 } })
    await back.expectNothing(QUIET_CLUSTER)
  }
})

t.test('a session adopted in two rolling restarts resumes with what both adopters kept', async (t) => {
  const { nodes: [a, b], more } = await clusterOf(t, 2, { reconnectWindow: 5000 })
  const { client, sessionToken } = await connected(a.url, a.wsUrl)
  await subscribe(client, 1, { event_name: 'demo.Item' })
  await a.app.close()
  await emit(b.url, 'demo.Item', { n: 1 })
  const c = await more()
  await b.app.close()
  await emit(c.url, 'demo.Item', { n: 2 })

  const back = await open(c.wsUrl)
  t.match(await back.request({ message: 'RECONNECT', id: 2, session_token: sessionToken }), { status: 'CONNECTED', subscriptions: [{ event_name: 'demo.Item' }] })
  t.same((await frames(back, 2)).map((e) => e.data.n), [1, 2])
  await back.expectNothing(QUIET_CLUSTER)
})
