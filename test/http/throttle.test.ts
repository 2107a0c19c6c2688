import t from 'tap'
import { request, sharedClusterOverrides, startApp } from '../helpers/app.js'
import { ADMIN, ALICE, TEST_API_KEY } from '../helpers/config.js'

const throttle = (budgets: Record<string, number>) => ({ auth: { throttle: { window: 60_000, maxFailuresPerAccount: 100, maxFailuresPerAddress: 100, maxRequestsPerAddress: 1000, ...budgets } } })
const wrongAlice = { username: ALICE.username, password: 'wrong' }

t.test('login: past the account budget even the right password gets 429 + Retry-After; other accounts still log in', async (t) => {
  const app = await startApp(t, throttle({ maxFailuresPerAccount: 3 }))
  for (let i = 0; i < 3; i++) t.equal((await request(app.url, 'POST', '/api/auth/login', { body: wrongAlice })).status, 401)
  const refused = await request(app.url, 'POST', '/api/auth/login', { body: ALICE })
  t.equal(refused.status, 429)
  t.match(refused.body, { statusCode: 429, error: 'Too Many Requests', message: /too many failed attempts/ })
  const retryAfter = Number(refused.headers.get('retry-after'))
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After in seconds (${retryAfter})`)
  t.equal((await request(app.url, 'POST', '/api/auth/login', { body: ADMIN })).status, 200, 'another account is not affected')
  const oauth = await request(app.url, 'POST', '/oauth2/token', { form: { grant_type: 'password', client_id: 'das_web_client', ...ALICE } })
  t.equal(oauth.status, 429, 'the OAuth password grant shares the account budget')
  t.match(oauth.body, { statusCode: 429, error: 'Too Many Requests' })
  t.ok(oauth.headers.get('retry-after'))
  const really = await request(app.url, 'POST', '/auth/password/login/', { body: ALICE })
  t.equal(really.status, 429, 'so does the Really password login')
})

t.test('login: successes do not count; the address budget covers every account', async (t) => {
  const app = await startApp(t, throttle({ maxFailuresPerAddress: 4 }))
  for (let i = 0; i < 10; i++) t.equal((await request(app.url, 'POST', '/api/auth/login', { body: ADMIN })).status, 200)
  for (const username of ['a', 'b', 'c', 'd']) t.equal((await request(app.url, 'POST', '/api/auth/login', { body: { username, password: 'x' } })).status, 401)
  const refused = await request(app.url, 'POST', '/api/auth/login', { body: ADMIN })
  t.equal(refused.status, 429)
  t.ok(refused.headers.get('retry-after'))
})

t.test('wrong API keys and bearer tokens are throttled per address', async (t) => {
  const app = await startApp(t, throttle({ maxFailuresPerAddress: 3 }))
  for (let i = 0; i < 2; i++) t.equal((await request(app.url, 'GET', '/api/admin/users', { apiKey: `guess-${i}-xxxxxxxx` })).status, 401)
  t.equal((await request(app.url, 'GET', '/api/admin/users', { apiKey: TEST_API_KEY })).status, 200, 'the right key works within the budget')
  t.equal((await request(app.url, 'GET', '/api/auth/me', { token: 'not-a-jwt' })).status, 401, 'a bad bearer token is the third failure')
  const refused = await request(app.url, 'GET', '/api/admin/users', { apiKey: TEST_API_KEY })
  t.equal(refused.status, 429, 'then even the right key is refused unchecked')
  t.match(refused.body, { statusCode: 429, error: 'Too Many Requests' })
  t.ok(Number(refused.headers.get('retry-after')) >= 1)
  t.equal((await request(app.url, 'GET', '/api/auth/me')).status, 401, 'a request presenting no credential is just 401')
})

t.test('@fastify/rate-limit: a request budget per address over all credential routes', async (t) => {
  const app = await startApp(t, throttle({ maxRequestsPerAddress: 4 }))
  t.equal((await request(app.url, 'POST', '/api/auth/login', { body: ADMIN })).status, 200)
  t.equal((await request(app.url, 'POST', '/api/auth/refresh', { body: { refresh_token: 'nope' } })).status, 401)
  t.equal((await request(app.url, 'POST', '/auth/anonymous/', { body: {} })).status, 200)
  t.equal((await request(app.url, 'POST', '/oauth2/revoke_token/', { form: { token: 'x', client_id: 'das_web_client' } })).status, 200)
  const refused = await request(app.url, 'POST', '/oauth2/token', { form: { grant_type: 'password', client_id: 'das_web_client', ...ADMIN } })
  t.equal(refused.status, 429, 'the fifth credential request, on another route, is over')
  t.match(refused.body, { statusCode: 429, error: 'Too Many Requests', message: /too many requests/ })
  t.ok(Number(refused.headers.get('retry-after')) >= 1)
  t.equal((await request(app.url, 'GET', '/api/admin/users', { apiKey: TEST_API_KEY })).status, 200, 'routes outside the credential set are not budgeted')
  t.equal((await request(app.url, 'GET', '/health')).status, 200)
})

t.test('two nodes sharing Redis share the budgets', async (t) => {
  const cluster = await sharedClusterOverrides(t)
  const budgets = throttle({ maxFailuresPerAccount: 3, maxRequestsPerAddress: 6 })
  const a = await startApp(t, { ...cluster, ...budgets })
  const b = await startApp(t, { ...cluster, ...budgets })
  for (let i = 0; i < 3; i++) t.equal((await request(a.url, 'POST', '/api/auth/login', { body: wrongAlice })).status, 401, `wrong on node A (${i})`)
  const refused = await request(b.url, 'POST', '/api/auth/login', { body: ALICE })
  t.equal(refused.status, 429, 'throttled on node B')
  t.ok(refused.headers.get('retry-after'))
  t.equal((await request(b.url, 'POST', '/api/auth/login', { body: ADMIN })).status, 200, 'request 5 of 6')
  t.equal((await request(a.url, 'POST', '/api/auth/login', { body: ADMIN })).status, 200, 'request 6 of 6')
  t.equal((await request(b.url, 'POST', '/api/auth/login', { body: ADMIN })).status, 429, 'the request budget is cluster-wide too')
})

t.test('with auth.throttle budgets at 0 nothing is throttled', async (t) => {
  const app = await startApp(t, throttle({ maxFailuresPerAccount: 0, maxFailuresPerAddress: 0, maxRequestsPerAddress: 0 }))
  for (let i = 0; i < 12; i++) t.equal((await request(app.url, 'POST', '/api/auth/login', { body: wrongAlice })).status, 401)
  t.equal((await request(app.url, 'POST', '/api/auth/login', { body: ALICE })).status, 200)
})
