import t from 'tap'
import type { Page, Response } from 'playwright-core'
import { startApp } from '../helpers/app.js'
import { ADMIN } from '../helpers/config.js'
import { launchChromium, skipWithoutChromium, SOCKET_IO_BUNDLES, startStaticOrigin } from '../helpers/browser.js'

// The page a web app on another origin would be: both socket.io-client bundles (2.x saved as
// `ioV2` before 4.x takes the `io` global) and the few helpers the tests drive through
// page.evaluate. Every wait in it is bounded.
const PAGE = `<!doctype html><meta charset="utf-8"><title>web app</title>
<script src="/socket.io-v2.js"></script>
<script>window.ioV2 = window.io</script>
<script src="/socket.io-v4.js"></script>
<script>
window.api = async (url, { method = 'POST', body, token, form } = {}) => {
  const headers = {}
  let payload
  if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    payload = new URLSearchParams(form).toString()
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  if (token) headers.authorization = 'Bearer ' + token
  const response = await fetch(url, { method, headers, body: payload })
  return { status: response.status, body: await response.json() }
}
window.firstReply = (url, frame) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url)
  const timer = setTimeout(() => { ws.close(); reject(new Error('no reply on ' + url)) }, 5000)
  ws.onopen = () => ws.send(JSON.stringify(frame))
  ws.onmessage = (event) => { clearTimeout(timer); ws.close(); resolve(JSON.parse(event.data)) }
  ws.onerror = () => { clearTimeout(timer); reject(new Error('socket refused: ' + url)) }
})
window.dasAuthorize = (ioFn, url, token) => new Promise((resolve, reject) => {
  const socket = ioFn(url, { path: '/socket.io', reconnection: false, forceNew: true })
  const timer = setTimeout(() => { socket.close(); reject(new Error('no resp_authorization')) }, 5000)
  socket.on('connect', () => socket.emit('authorization', { type: 'authorization', id: 1, authorization: 'Bearer ' + token }))
  socket.on('resp_authorization', (reply) => { clearTimeout(timer); socket.close(); resolve(reply) })
  socket.on('connect_error', (err) => { clearTimeout(timer); socket.close(); reject(new Error('connect_error: ' + err.message)) })
})
</script>`

t.test('a web app on another origin logs in and opens all five protocols; other origins are refused', { skip: skipWithoutChromium }, async (t) => {
  const listed = await startStaticOrigin(t, SOCKET_IO_BUNDLES, { '/': PAGE })
  const unlisted = await startStaticOrigin(t, SOCKET_IO_BUNDLES, { '/': PAGE })
  const { url, wsUrl } = await startApp(t, { server: { cors: { origins: [listed.origin] } } })
  const browser = await launchChromium(t)

  const page = await browser.newPage()
  // Socket.IO long-polling answers seen by the page (the handshake is polling by default).
  const polls: Response[] = []
  page.on('response', (response) => { if (response.url().includes('transport=polling')) polls.push(response) })
  await page.goto(`${listed.origin}/`)

  const { access_token: accessToken } = (await page.evaluate(({ url, user }) => window.api(`${url}/api/auth/login`, { body: user }), { url, user: ADMIN })).body
  t.type(accessToken, 'string', 'POST /api/auth/login from the page')

  t.test('syscache: rpc/auth in the socket', async (t) => {
    const reply = await page.evaluate(({ wsUrl, user }) => window.firstReply(`${wsUrl}/syscache`,
      { namespace: 'rpc', name: 'auth', id: 'a1', args: user }), { wsUrl, user: ADMIN })
    t.match(reply, { namespace: 'rpc', name: 'response', id: 'a1', args: [String, Number] })
  })

  t.test('WebRocket: authenticate in the socket', async (t) => {
    const reply = await page.evaluate((wsUrl) => window.firstReply(`${wsUrl}/webrocket/echo`,
      { authenticate: { user: 'joe', secret: 's3cret' } }), wsUrl)
    t.same(reply, { authenticated: 'joe' })
  })

  t.test('Telegraphy: one-time token over REST, then CONNECT', async (t) => {
    const reply = await page.evaluate(async ({ url, wsUrl, accessToken }) => {
      const issued = await window.api(`${url}/api/telegraphy/auth-tokens`, { token: accessToken })
      return window.firstReply(`${wsUrl}/telegraphy`, { message: 'CONNECT', id: 1, args: { auth_token: issued.body.auth_token } })
    }, { url, wsUrl, accessToken })
    t.match(reply, { success: true, status: 'CONNECTED', id: 1 })
  })

  t.test('Really: password and anonymous tokens, then initialize', async (t) => {
    const replies = await page.evaluate(async ({ url, wsUrl, user }) => {
      const password = await window.api(`${url}/auth/password/login/`, { body: user })
      const anonymous = await window.api(`${url}/auth/anonymous/`)
      return Promise.all([password, anonymous].map(({ body }) =>
        window.firstReply(`${wsUrl}/v0.1/socket`, { tag: 1, cmd: 'initialize', accessToken: body.accessToken })))
    }, { url, wsUrl, user: ADMIN })
    t.match(replies, [
      { tag: 1, evt: 'initialized', body: { authType: 'password' } },
      { tag: 1, evt: 'initialized', body: { authType: 'anonymous' } },
    ])
  })

  t.test('DAS: OAuth token, then socket.io-client 2.x and 4.x over long-polling first', async (t) => {
    const replies = await page.evaluate(async ({ url, user }) => {
      const token = await window.api(`${url}/oauth2/token`, { form: { grant_type: 'password', client_id: 'das_web_client', ...user } })
      const v2 = await window.dasAuthorize(window.ioV2, `${url}/das`, token.body.access_token)
      const v4 = await window.dasAuthorize(window.io, `${url}/das`, token.body.access_token)
      return { v2, v4 }
    }, { url, user: ADMIN })
    t.match(replies.v2, { type: 'resp_authorization', resp_id: 1, status: { code: 200 } })
    t.match(replies.v4, { type: 'resp_authorization', resp_id: 1, status: { code: 200 } })
    for (const eio of ['EIO=3', 'EIO=4']) {
      const answered = polls.filter((r) => r.url().includes(eio) && r.status() === 200)
      t.ok(answered.length > 0, `${eio} polled cross-origin`)
      t.equal(await answered[0]?.headerValue('access-control-allow-credentials'), 'true', `${eio} polling with credentials`)
    }
  })

  t.test('a page on an origin not listed gets no token and no socket', async (t) => {
    const other = await browser.newPage()
    await other.goto(`${unlisted.origin}/`)
    const outcome = await other.evaluate(async ({ url, wsUrl, user }) => {
      const settle = (p: Promise<unknown>) => p.then(() => 'succeeded', (err: Error) => err.message)
      return {
        login: await settle(window.api(`${url}/api/auth/login`, { body: user })),
        socket: await settle(window.firstReply(`${wsUrl}/syscache`, { namespace: 'rpc', name: 'identify', id: 1, args: {} })),
        das: await settle(window.dasAuthorize(window.io, `${url}/das`, 'x')),
      }
    }, { url, wsUrl, user: ADMIN })
    t.match(outcome.login, /Failed to fetch/, 'CORS refuses the login')
    t.match(outcome.socket, /socket refused/, 'the upgrade is refused (allowedOrigins follows cors.origins)')
    t.match(outcome.das, /connect_error/, 'Socket.IO refuses the handshake')
  })

  t.test('Swagger UI renders at /docs under its Content-Security-Policy', async (t) => {
    const docs = await browser.newPage()
    const csp = await watchCsp(docs)
    await docs.goto(`${url}/docs/`)
    await docs.locator('.swagger-ui .info .title', { hasText: 'Switchboard' }).waitFor({ timeout: 10_000 })
    await docs.locator('.opblock').first().waitFor({ timeout: 5000 })
    t.same(csp.violations, [], 'no CSP violation while rendering')
    // The policy is enforced (so the empty list above means something): an inline script is refused.
    const ran = await docs.evaluate(() => {
      const script = document.createElement('script')
      script.textContent = 'window.inlineRan = true'
      document.head.append(script)
      return window.inlineRan === true
    })
    t.equal(ran, false, 'inline script blocked')
    await t.resolves(csp.next(/script-src/), 'and reported as a violation')
  })
})

/** CSP violations reported on a page, by console message and by `securitypolicyviolation`. */
async function watchCsp (page: Page): Promise<{ violations: string[], next (pattern: RegExp, timeout?: number): Promise<string> }> {
  const violations: string[] = []
  const waiters: Array<{ pattern: RegExp, resolve (text: string): void }> = []
  const add = (text: string) => {
    violations.push(text)
    for (const waiter of waiters.filter((w) => w.pattern.test(text))) {
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve(text)
    }
  }
  page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) add(message.text()) })
  await page.exposeFunction('reportCspViolation', add)
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation', (event) =>
    window.reportCspViolation(`${event.violatedDirective} ${event.blockedURI}`)))
  return {
    violations,
    next: (pattern, timeout = 2000) => {
      const seen = violations.find((v) => pattern.test(v))
      if (seen !== undefined) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no CSP violation matching ${pattern} within ${timeout} ms`)), timeout)
        waiters.push({ pattern, resolve: (text) => { clearTimeout(timer); resolve(text) } })
      })
    },
  }
}

// What the test functions use of the page (they run in Chromium; the project's types have no DOM).
interface PageWindow {
  ioV2: unknown
  io: unknown
  inlineRan?: boolean
  reportCspViolation (text: string): void
  api (url: string, options?: { method?: string, body?: unknown, token?: string, form?: Record<string, string> }): Promise<{ status: number, body: any }> // eslint-disable-line @typescript-eslint/no-explicit-any
  firstReply (url: string, frame: unknown): Promise<any> // eslint-disable-line @typescript-eslint/no-explicit-any
  dasAuthorize (io: unknown, url: string, token: string): Promise<any> // eslint-disable-line @typescript-eslint/no-explicit-any
}
interface PageElement { textContent: string | null }
declare const window: PageWindow
declare const document: {
  createElement (tag: string): PageElement
  head: { append (element: PageElement): void }
  addEventListener (type: 'securitypolicyviolation', listener: (event: { violatedDirective: string, blockedURI: string }) => void): void
}
