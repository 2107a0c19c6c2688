import t from 'tap'
import { request, startApp, TEST_API_KEY } from '../helpers/app.js'
import { ALICE } from '../helpers/config.js'
import { HOSTILE_FRAME_COUNT, hostileFrames } from './frames.js'
import { checkHeap, heapAfterGc } from './socket-fuzz.js'

// Issue 14 fuzz suite, REST: hostile JSON bodies (mutations of each route's valid body, and
// garbage) to the login and publish routes. Each is answered, and never with a 5xx.

type Template = Parameters<typeof hostileFrames>[0][number]

/** Each route, how it is called, and a valid body to mutate. */
const ROUTES: Array<{ path: string, service?: true, body: Template }> = [
  // Logins with a user that does not exist: the answer is the same, without keeping a real
  // account's throttle or cache busy.
  { path: '/api/auth/login', body: { username: 'nobody', password: 'x' } },
  { path: '/api/auth/refresh', body: { refresh_token: 'x.y.z' } },
  { path: '/oauth2/token', body: { grant_type: 'password', username: 'nobody', password: 'x', client_id: 'das_web_client' } },
  { path: '/auth/password/login/', body: { username: 'nobody', password: 'x' } },
  { path: '/auth/anonymous/', body: { name: 'guest', level: 1 } },
  { path: '/api/webrocket/vhosts/echo/broadcast', service: true, body: { channel: 'news', event: 'e', data: { a: 1 } } },
  { path: '/api/telegraphy/events', service: true, body: { name: 'demo.Item', meta: { event_type: 'custom' }, data: { a: 1 } } },
  { path: '/api/syscache/events/dispatcher', service: true, body: { state: 'finished', process_id: 'p1' } },
  { path: '/api/das/emit', service: true, body: { type: 'new_event', data: { id: 'e1' }, username: ALICE.username } },
  { path: '/api/das/subject-updates', service: true, body: { subject: { id: 's1' }, trackUsers: ['alice'] } },
]
const WINDOW = 4
// Half the frame count: ten routes share it, and an HTTP request costs more than a frame.
const COUNT = Math.ceil(HOSTILE_FRAME_COUNT / 2)

t.test('hostile JSON bodies to the login and publish routes are never answered 5xx', async (t) => {
  const app = await startApp(t)
  t.equal((await request(app.url, 'POST', '/api/webrocket/vhosts/echo/channels', { apiKey: TEST_API_KEY, body: { name: 'news' } })).status, 201)
  const bodies = ROUTES.map((route, i) => hostileFrames([route.body], COUNT, 100 + i))
  const statuses: Record<number, number> = {}
  const failures: string[] = []
  const before = heapAfterGc()

  const send = async (n: number) => {
    const route = ROUTES[n % ROUTES.length]
    const body = bodies[n % ROUTES.length].next().value as string | Buffer
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (route.service) headers['x-api-key'] = TEST_API_KEY
    try {
      const res = await fetch(app.url + route.path, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) })
      await res.arrayBuffer()
      statuses[res.status] = (statuses[res.status] ?? 0) + 1
      if (res.status >= 500) failures.push(`${route.path} ${res.status}: ${String(body).slice(0, 120)}`)
    } catch (err) {
      failures.push(`${route.path} no answer (${(err as Error).message}): ${String(body).slice(0, 120)}`)
    }
  }
  const started = Date.now()
  let next = 0
  // WINDOW requests in flight at a time.
  await Promise.all(Array.from({ length: WINDOW }, async () => {
    while (next < COUNT && failures.length < 20) await send(next++)
  }))
  t.comment(`${COUNT} bodies in ${Date.now() - started} ms: ${JSON.stringify(statuses)}`)
  t.same(failures, [], 'no 5xx, every request answered')
  t.ok(Object.keys(statuses).some((s) => Number(s) >= 400 && Number(s) < 500), 'bodies refused with 4xx')

  // The server still works.
  const login = await request(app.url, 'POST', '/api/auth/login', { body: ALICE })
  t.equal(login.status, 200)
  checkHeap(t, before)
})
