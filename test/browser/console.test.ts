import t from 'tap'
import type { Page } from 'playwright-core'
import { startApp } from '../helpers/app.js'
import { ADMIN } from '../helpers/config.js'
import { launchChromium, skipWithoutChromium } from '../helpers/browser.js'

// The console at /console driven as a user would: log in, then per protocol fetch its token,
// open the socket, send frames from the AsyncAPI templates and read the replies in the log.
// Every wait is bounded (WAIT).
const WAIT = 5000

/** Waits for a log line of `kind` (in, out, note) whose text matches. */
const logLine = (page: Page, kind: string, text: string | RegExp) =>
  page.locator(`#log li.${kind}`, { hasText: text }).first().waitFor({ timeout: WAIT })

/** Picks the template whose label matches (labels come from the AsyncAPI message and example names). */
async function chooseTemplate (page: Page, label: RegExp): Promise<void> {
  const labels = await page.locator('#template option').allTextContents()
  const index = labels.findIndex((l) => label.test(l))
  if (index < 0) throw new Error(`no template ${label} among ${labels.join(', ')}`)
  await page.selectOption('#template', String(index))
}

async function openSocket (page: Page): Promise<void> {
  await page.click('#open')
  await page.locator('#socket-state', { hasText: /^open$/ }).waitFor({ timeout: WAIT })
}

async function send (page: Page, label: RegExp, edit?: (frame: Record<string, unknown>) => unknown): Promise<void> {
  await chooseTemplate(page, label)
  if (edit !== undefined) {
    const frame = JSON.parse(await page.inputValue('#frame')) as Record<string, unknown>
    await page.fill('#frame', JSON.stringify(edit(frame)))
  }
  await page.click('#send')
}

async function closeSocket (page: Page, why: string | RegExp): Promise<void> {
  await page.click('#close')
  await logLine(page, 'note', why)
  await page.locator('#socket-state', { hasText: /^closed$/ }).waitFor({ timeout: WAIT })
}

t.test('the console does a round trip with every protocol, talking only to its own server', { skip: skipWithoutChromium }, async (t) => {
  const { url, port } = await startApp(t)
  const browser = await launchChromium(t)
  const page = await browser.newPage()
  const requests: string[] = []
  const sockets: string[] = []
  const cspViolations: string[] = []
  page.on('request', (request) => requests.push(request.url()))
  page.on('websocket', (socket) => sockets.push(socket.url()))
  page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text()) })

  await page.goto(`${url}/console`)
  await page.locator('body[data-ready="true"]').waitFor({ timeout: WAIT })
  t.same((await page.locator('#channel option').allTextContents()).map((text) => text.split(' ')[0]), ['syscache', 'webrocket', 'telegraphy', 'really', 'das'], 'one channel per socket endpoint')

  await page.fill('#username', ADMIN.username)
  await page.fill('#password', 'wrong')
  await page.click('#login button[type="submit"]')
  await logLine(page, 'error', 'POST /api/auth/login: 401')
  t.equal(await page.textContent('#login-state'), 'not logged in', 'a refused login is shown as such')
  await page.fill('#password', ADMIN.password)
  await page.click('#login button[type="submit"]')
  await page.locator('#login-state', { hasText: `logged in as ${ADMIN.username}` }).waitFor({ timeout: WAIT })
  await logLine(page, 'note', 'POST /api/auth/login → 200')

  await t.test('syscache: rpc/auth in the socket, then a request', async (t) => {
    await page.click('#clear') // each protocol's lines alone: no earlier line can satisfy a wait
    await page.selectOption('#channel', 'syscache')
    await openSocket(page)
    // The example logs in as the default admin; this server's admin has another password.
    await send(page, /^(rpc\/)?auth(:|$)/, (frame) => ({ ...frame, args: ADMIN }))
    await logLine(page, 'in', /"name":"response".*"args":\["[^"]+",\d+\]/)
    await send(page, /^(rpc\/)?identify/)
    await logLine(page, 'in', /"hostname"/)
    await closeSocket(page, 'closed: code 1000')
    t.pass('logged in and answered')
  })

  await t.test('WebRocket: authenticate as joe on /echo, subscribe', async (t) => {
    await page.click('#clear')
    await page.selectOption('#channel', 'webrocket')
    t.match(await page.inputValue('#parameter-vhost'), /^\/?echo$/, 'the vhost defaults to /echo')
    t.equal(await page.textContent('#address'), `ws://127.0.0.1:${port}/webrocket/echo`)
    await openSocket(page)
    await send(page, /^authenticate/)
    await logLine(page, 'in', '{"authenticated":"joe"}')
    await send(page, /^subscribe/)
    await logLine(page, 'in', /\{"subscribed":"[^"]+"\}/)
    await closeSocket(page, 'closed: code 1000')
  })

  await t.test('Telegraphy: one-time token, CONNECT on open, SUBSCRIBE', async (t) => {
    await page.click('#clear')
    await page.selectOption('#channel', 'telegraphy')
    await page.click('#token-buttons button')
    await logLine(page, 'note', 'POST /api/telegraphy/auth-tokens → 201')
    t.not(await page.inputValue('#token'), '', 'the token is shown')
    // The token lives 5 s: the console sends CONNECT as soon as the socket opens.
    await openSocket(page)
    await logLine(page, 'in', /"status":"CONNECTED"/)
    await send(page, /^SUBSCRIBE/i)
    await logLine(page, 'in', /"status":"SUBSCRIBED"/)
    await closeSocket(page, 'closed: code 1000')
  })

  await t.test('Really: password token put into the initialize template, then a ping', async (t) => {
    await page.click('#clear')
    await page.selectOption('#channel', 'really')
    await page.uncheck('#auto-auth')
    await page.click('#token-buttons button:has-text("password")')
    await logLine(page, 'note', 'POST /auth/password/login/ → 200')
    const token = await page.inputValue('#token')
    await chooseTemplate(page, /^initialize/)
    t.match(JSON.parse(await page.inputValue('#frame')), { cmd: 'initialize', accessToken: token }, 'the template carries the token')
    await openSocket(page)
    await page.click('#send')
    await logLine(page, 'in', /"evt":"initialized".*"authType":"password"/)
    await send(page, /^ping/)
    await logLine(page, 'in', /"evt":"pinged"/)
    await closeSocket(page, 'closed: code 1000')
    await page.check('#auto-auth')
  })

  await t.test('DAS: OAuth token, socket.io-client 4.x, authorization on connect', async (t) => {
    await page.click('#clear')
    await page.selectOption('#channel', 'das')
    await page.click('#token-buttons button')
    await logLine(page, 'note', 'POST /oauth2/token → 200')
    await openSocket(page)
    await logLine(page, 'out', /→authorization \{.*"authorization":"Bearer /)
    await logLine(page, 'in', /←resp_authorization \{.*"code":200/)
    await closeSocket(page, 'disconnect: io client disconnect')
    t.pass('authorized')
  })

  await t.test('templates: where the token goes, $refs followed, addresses filled', async (t) => {
    // The page's own module, run in the page (a string: it is plain browser JavaScript).
    const result = await page.evaluate(`import('/console/channels.js').then(({ channelsOf, pathOf, withToken }) => ({
      filled: withToken({ list: [{ authorization: 'Bearer x' }], args: { auth_token: 'x' }, session_token: 'x', n: 1 }, 'T'),
      noToken: withToken({ accessToken: 'x' }, undefined),
      notString: withToken({ token: 5 }, 'T'),
      channels: channelsOf({
        channels: { c: { address: '/p/{vhost}', parameters: { vhost: { $ref: '#/components/parameters/v' } }, messages: {} } },
        operations: {
          in: { action: 'receive', channel: { $ref: '#/channels/c' }, messages: [{ $ref: '#/components/messages/a' }, { $ref: '#/components/messages/loop' }] },
          out: { action: 'send', channel: { $ref: '#/channels/c' }, messages: [{ $ref: '#/components/messages/a' }] },
        },
        components: {
          parameters: { v: { enum: ['one', 'two'] } },
          messages: { a: { name: 'a', title: 'A', examples: [{ name: 'a', payload: 1 }, { name: 'other', summary: 's', payload: 2 }] }, loop: { $ref: '#/components/messages/loop' } },
        },
      }),
      path: pathOf({ address: '/webrocket/{vhost}' }, { vhost: '/echo' }),
    }))`) as Record<string, unknown>
    t.same(result.filled, { payload: { list: [{ authorization: 'Bearer T' }], args: { auth_token: 'T' }, session_token: 'x', n: 1 }, used: true }, 'Bearer kept, nested fields, a session token left alone')
    t.same(result.noToken, { payload: { accessToken: 'x' }, used: false }, 'no token held: the example as it is')
    t.same(result.notString, { payload: { token: 5 }, used: false })
    t.same(result.channels, [{
      id: 'c',
      title: 'c',
      address: '/p/{vhost}',
      parameters: [{ name: 'vhost', value: 'one', choices: ['one', 'two'], description: '' }],
      namespace: null,
      token: null,
      tokenDescription: '',
      templates: [{ label: 'A', event: 'a', summary: '', payload: 1 }, { label: 'A: other', event: 'a', summary: 's', payload: 2 }],
    }], 'receive operations only; a $ref loop gives no template')
    t.equal(result.path, '/webrocket/echo', 'a vhost\'s leading slash dropped')
  })

  await t.test('clear empties the log', async (t) => {
    await page.click('#clear')
    t.equal(await page.locator('#log li').count(), 0)
  })

  const origin = new URL(url)
  t.ok(requests.includes(`${url}/docs/asyncapi.json`), 'the channels and templates came from the served AsyncAPI document')
  t.same(requests.filter((r) => new URL(r).origin !== origin.origin), [], 'every request went to the server\'s origin')
  t.same(sockets.filter((s) => new URL(s).host !== origin.host), [], 'every socket went to the server')
  t.ok(sockets.length >= 4, 'a WebSocket per plain protocol (and DAS\'s upgrade)')
  t.same(cspViolations, [], 'no Content-Security-Policy violation')
})
