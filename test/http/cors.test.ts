import t from 'tap'
import { request, startApp } from '../helpers/app.js'
import { ADMIN } from '../helpers/config.js'
import { WsClient } from '../helpers/ws-client.js'

const APP = 'https://app.example'
const EVIL = 'https://evil.example'

/** A browser's preflight for a JSON POST carrying a Bearer token. */
function preflight (url: string, path: string, origin: string) {
  return request(url, 'OPTIONS', path, {
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  })
}

const corsHeaders = (headers: Headers) => [...headers.keys()].filter((name) => name.startsWith('access-control-'))

t.test('by default no response carries a CORS header, and preflights are unknown routes', async (t) => {
  const { url } = await startApp(t)
  const answer = await preflight(url, '/api/auth/login', APP)
  t.equal(answer.status, 404)
  t.same(corsHeaders(answer.headers), [])
  const login = await request(url, 'POST', '/api/auth/login', { body: ADMIN, headers: { origin: APP } })
  t.equal(login.status, 200)
  t.same(corsHeaders(login.headers), [])
})

t.test('a listed origin: preflights answered with the allowed headers, replies readable with credentials', async (t) => {
  const { url } = await startApp(t, { server: { cors: { origins: [APP, 'http://localhost:3000'], maxAge: 90_000 } } })
  for (const path of ['/api/auth/login', '/oauth2/token', '/auth/anonymous/', '/api/telegraphy/auth-tokens']) {
    const answer = await preflight(url, path, APP)
    t.equal(answer.status, 204, `${path} preflight`)
    t.equal(answer.headers.get('access-control-allow-origin'), APP)
    t.equal(answer.headers.get('access-control-allow-credentials'), 'true')
    t.match(answer.headers.get('access-control-allow-methods'), /POST/)
    t.same(answer.headers.get('access-control-allow-headers')?.split(', ').sort(),
      ['Authorization', 'Content-Type', 'X-API-Key', 'X-Request-Id', 'X-WebRocket-Token'])
    t.equal(answer.headers.get('access-control-max-age'), '90')
    t.match(answer.headers.get('vary'), /Origin/)
  }
  const login = await request(url, 'POST', '/api/auth/login', { body: ADMIN, headers: { origin: APP } })
  t.equal(login.status, 200)
  t.equal(login.headers.get('access-control-allow-origin'), APP)
  t.equal(login.headers.get('access-control-allow-credentials'), 'true')
  t.match(login.headers.get('access-control-expose-headers'), /WWW-Authenticate/)
  const other = await preflight(url, '/api/auth/login', 'http://localhost:3000')
  t.equal(other.headers.get('access-control-allow-origin'), 'http://localhost:3000', 'every listed origin')
})

t.test('an origin not listed gets no CORS header at all', async (t) => {
  const { url } = await startApp(t, { server: { cors: { origins: [APP] } } })
  const answer = await preflight(url, '/api/auth/login', EVIL)
  t.equal(answer.status, 404)
  t.same(corsHeaders(answer.headers), [])
  const login = await request(url, 'POST', '/api/auth/login', { body: ADMIN, headers: { origin: EVIL } })
  t.same(corsHeaders(login.headers), [], 'the browser will not hand the reply to the page')
  const sameOrigin = await request(url, 'GET', '/health')
  t.same(corsHeaders(sameOrigin.headers), [], 'nor does a request without Origin')
})

t.test('"*": any origin reflected, without credentials on REST', async (t) => {
  const { url } = await startApp(t, { server: { cors: { origins: '*' } } })
  for (const origin of [APP, EVIL]) {
    const answer = await preflight(url, '/api/auth/login', origin)
    t.equal(answer.status, 204)
    t.equal(answer.headers.get('access-control-allow-origin'), origin)
    t.equal(answer.headers.get('access-control-allow-credentials'), null)
  }
})

/** Opens an Engine.IO long-polling session as a page on `origin` would. */
const pollingHandshake = (url: string, origin: string, eio = 4) =>
  request(url, 'GET', `/socket.io/?EIO=${eio}&transport=polling`, { headers: { origin } })

t.test('Socket.IO long-polling: the same origins, always with credentials (socket.io-client 2.x needs them)', async (t) => {
  const listed = await startApp(t, { server: { cors: { origins: [APP] } } })
  for (const eio of [3, 4]) {
    const ok = await pollingHandshake(listed.url, APP, eio)
    t.equal(ok.status, 200)
    t.equal(ok.headers.get('access-control-allow-origin'), APP)
    t.equal(ok.headers.get('access-control-allow-credentials'), 'true')
  }
  const refused = await pollingHandshake(listed.url, EVIL)
  t.not(refused.status, 200, 'an origin not listed is refused (allowedOrigins follows cors.origins)')
  t.equal(refused.headers.get('access-control-allow-origin'), null)

  const any = await startApp(t, { server: { cors: { origins: '*' } } })
  const reflected = await pollingHandshake(any.url, EVIL)
  t.equal(reflected.status, 200)
  t.equal(reflected.headers.get('access-control-allow-origin'), EVIL)
  t.equal(reflected.headers.get('access-control-allow-credentials'), 'true')

  const none = await startApp(t)
  const plain = await pollingHandshake(none.url, APP)
  t.equal(plain.status, 200, 'no CORS configured: the handshake works (same-origin pages, non-browser clients)')
  t.same(corsHeaders(plain.headers), [], 'but carries no CORS header')
})

const refusal = (pending: Promise<WsClient>) => pending.then((c) => { c.close(); return 101 }, (err: { statusCode?: number }) => err.statusCode)

t.test('WebSocket upgrades: server.allowedOrigins follows server.cors.origins unless set', async (t) => {
  const listed = await startApp(t, { server: { cors: { origins: [APP] } } })
  t.equal(listed.app.services.config.server.allowedOrigins.length, 1)
  t.equal(await refusal(WsClient.connect(`${listed.wsUrl}/syscache`, { origin: EVIL })), 403)
  t.equal(await refusal(WsClient.connect(`${listed.wsUrl}/syscache`, { origin: APP })), 101)
  t.equal(await refusal(WsClient.connect(`${listed.wsUrl}/syscache`)), 101, 'no Origin: not a browser page')

  // '*' is the file's form; the code only ever sees the resolved list, hence the cast.
  const any = await startApp(t, { server: { cors: { origins: [APP] }, allowedOrigins: '*' as unknown as string[] } })
  t.equal(await refusal(WsClient.connect(`${any.wsUrl}/syscache`, { origin: EVIL })), 101, '"*" opens sockets to every page')

  const own = await startApp(t, { server: { cors: { origins: [APP] }, allowedOrigins: [EVIL] } })
  t.equal(await refusal(WsClient.connect(`${own.wsUrl}/syscache`, { origin: APP })), 403, 'an explicit list wins')
  t.equal(await refusal(WsClient.connect(`${own.wsUrl}/syscache`, { origin: EVIL })), 101)
})
