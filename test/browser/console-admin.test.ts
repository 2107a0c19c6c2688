import t from 'tap'
import type { Page } from 'playwright-core'
import { request, sharedClusterOverrides, startApp, TEST_API_KEY } from '../helpers/app.js'
import { ADMIN, ALICE } from '../helpers/config.js'
import { launchChromium, skipWithoutChromium } from '../helpers/browser.js'
import { eventually, WsClient } from '../helpers/ws-client.js'
import { connected } from '../plugins/telegraphy/helpers.js'

// The console's admin view driven in headless Chromium against WebRocket clients of the test:
// listed, shown in presence, sent a published event, closed one and by user; paging,
// auto-refresh, credentials. Every wait is bounded (WAIT).
const WAIT = 5000

const logLine = (page: Page, kind: string, text: string | RegExp) =>
  page.locator(`#log li.${kind}`, { hasText: text }).first().waitFor({ timeout: WAIT })

/** Rows of the connections table, as the text of each cell. */
/** How many connections the server lists now (the registry lets go of a socket as it closes). */
const serverCount = async (url: string) => (await request(url, 'GET', '/api/connections', { apiKey: TEST_API_KEY })).body.connections.length

/** Rows of the connections table, as the text of each cell (page code is a string: no DOM types here). */
const rows = (page: Page) => page.evaluate(`Array.from(document.querySelectorAll('#admin-connections tr'),
  (tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent))`) as Promise<string[][]>

/** Waits until the table shows `count` rows (`live`: not struck out as closed). */
async function listed (page: Page, count: number, live = false): Promise<void> {
  const row = page.locator(live ? '#admin-connections tr:not(.closed)' : '#admin-connections tr')
  if (count > 0) await row.nth(count - 1).waitFor({ state: 'attached', timeout: WAIT })
  await row.nth(count).waitFor({ state: 'detached', timeout: WAIT })
}

t.test('the admin view lists, shows presence, publishes to and closes a WebRocket client', { skip: skipWithoutChromium }, async (t) => {
  const { url, wsUrl } = await startApp(t)
  const joe = async (channel = 'hello') => {
    const client = await WsClient.connect(`${wsUrl}/webrocket/echo`)
    t.teardown(() => client.close())
    t.same(await client.request({ authenticate: { user: 'joe', secret: 's3cret' } }), { authenticated: 'joe' })
    t.same(await client.request({ subscribe: { channel } }), { subscribed: channel })
    return client
  }
  const first = await joe()

  const browser = await launchChromium(t)
  const page = await browser.newPage()
  const requests: string[] = []
  const cspViolations: string[] = []
  page.on('request', (r) => requests.push(r.url()))
  page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text()) })
  await page.goto(`${url}/console`)
  await page.locator('body[data-ready="true"]').waitFor({ timeout: WAIT })

  await t.test('no credentials: nothing is sent', async (t) => {
    t.match(await page.textContent('#admin-credentials'), /no credentials/)
    await page.click('#admin-refresh')
    await logLine(page, 'error', 'GET /api/connections?limit=100: not sent, no credentials')
  })

  let id = ''
  await t.test('an API key lists the connection with its traffic and subscriptions', async (t) => {
    await page.fill('#admin-key', TEST_API_KEY)
    t.equal(await page.textContent('#admin-credentials'), 'using X-API-Key')
    await page.selectOption('#admin-protocol', 'webrocket')
    await page.click('#admin-filter button[type="submit"]')
    await logLine(page, 'note', 'GET /api/connections?protocol=webrocket&limit=100 → 200')
    await listed(page, 1)
    const server = (await request(url, 'GET', '/api/connections', { apiKey: TEST_API_KEY })).body.connections[0]
    id = server.id
    const [[cid, node, protocol, user, address, since, subscriptions, frames, bytes, actions]] = await rows(page)
    t.same({ cid, node, protocol, user, address, subscriptions, frames }, {
      cid: server.id, node: server.node, protocol: 'webrocket', user: 'joe', address: '127.0.0.1', subscriptions: '/echo/hello', frames: '2 / 2',
    })
    t.match(since, /\(\d+ s ago\)$/)
    t.match(bytes, /^\d+ \/ \d+$/)
    t.equal(actions, 'Close', 'no "close user\'s": the route closes core users, not a vhost\'s')
    t.same(await page.locator('#admin-summary li').allTextContents(), [`webrocket on ${server.node}: 1`], 'per protocol and node')
    t.ok(await page.locator('#admin-coverage').isHidden(), 'every node answered: no warning')
    t.equal(await page.textContent('#admin-page'), 'page 1: 1 connection(s)')
  })

  await t.test('presence of the channel: users, connections, stats', async (t) => {
    await page.selectOption('#presence-protocol', 'webrocket')
    t.equal(await page.getAttribute('#presence-channel', 'placeholder'), '/echo/hello', 'an example of the protocol\'s channel')
    await page.fill('#presence-channel', '/echo/hello')
    await page.click('#presence button[type="submit"]')
    await page.locator('#presence-stats', { hasText: '1 connection(s), 1 user(s) on webrocket /echo/hello' }).waitFor({ timeout: WAIT })
    t.same(await page.locator('#presence-users li').allTextContents(), ['joe'])
    t.same(await page.locator('#presence-connections tr').allTextContents(), [`${id}joe${(await rows(page))[0][1]}`])
    await logLine(page, 'note', 'GET /api/presence/webrocket/%2Fecho%2Fhello/stats → 200')
    await page.fill('#presence-channel', '/echo/nobody')
    await page.click('#presence button[type="submit"]')
    await page.locator('#presence-stats', { hasText: '0 connection(s), 0 user(s)' }).waitFor({ timeout: WAIT })
    t.equal(await page.locator('#presence-users li').count(), 0, 'an empty channel')
    await page.fill('#presence-channel', '')
    await page.click('#presence button[type="submit"]')
    await logLine(page, 'error', 'type a channel first')
  })

  await t.test('a published test event reaches the subscriber', async (t) => {
    await page.selectOption('#publish-route', 'webrocket')
    t.equal(await page.inputValue('#publish-vhost'), 'echo')
    t.same(JSON.parse(await page.inputValue('#publish-body')), { channel: 'hello', event: 'greeting', data: { text: 'hi' } })
    await page.fill('#publish-body', JSON.stringify({ channel: 'hello', event: 'greeting', data: { text: 'from the console' } }))
    await page.click('#publish button[type="submit"]')
    t.match(await first.json(WAIT), { event: 'greeting', channel: 'hello', data: { text: 'from the console' } })
    await logLine(page, 'note', 'POST /api/webrocket/vhosts/echo/broadcast → 200')
    await logLine(page, 'note', 'published: {"broadcasted":"hello"}')
    await page.fill('#publish-body', '{ not json')
    await page.click('#publish button[type="submit"]')
    await logLine(page, 'error', 'not sent: the body is not JSON')
    await page.fill('#publish-body', JSON.stringify({ channel: 'nowhere', event: 'greeting' }))
    await page.click('#publish button[type="submit"]')
    await logLine(page, 'error', 'POST /api/webrocket/vhosts/echo/broadcast: 404')
    await page.selectOption('#publish-route', 'syscache')
    t.equal(await page.inputValue('#publish-type'), 'dispatcher', 'each route its parameters')
    await page.selectOption('#publish-route', 'telegraphy')
    t.equal(await page.locator('#publish-parameters input').count(), 0)
  })

  await t.test('Close closes the connection; the client sees the operator\'s close', async (t) => {
    await page.click(`#admin-connections tr[data-id="${id}"] button.close-connection`)
    t.equal((await first.closed(WAIT)).code, 1008)
    await logLine(page, 'note', `closed webrocket connection ${id} of joe`)
    // Refreshed at once: the row is gone, or struck out while the socket leaves the registry.
    await listed(page, 0, true)
    await eventually(async () => await serverCount(url) === 0, WAIT, 'the closed socket unlisted')
    await page.click('#admin-refresh')
    await page.locator('#admin-page', { hasText: 'page 1: 0 connection(s)' }).waitFor({ timeout: WAIT })
  })

  await t.test('pages of one; auto-refresh shows a new connection', async (t) => {
    const two = [await joe('a'), await joe('b')]
    await page.fill('#admin-limit', '1')
    await page.click('#admin-filter button[type="submit"]')
    await listed(page, 1)
    const firstId = (await rows(page))[0][0]
    t.ok(await page.isEnabled('#admin-next'))
    await page.click('#admin-next')
    await page.locator('#admin-page', { hasText: 'page 2' }).waitFor({ timeout: WAIT })
    const secondId = (await rows(page))[0][0]
    t.ok(secondId > firstId, 'ordered by id')
    await page.click('#admin-previous')
    await page.locator('#admin-page', { hasText: 'page 1' }).waitFor({ timeout: WAIT })
    t.equal((await rows(page))[0][0], firstId)
    await page.click('#admin-next')
    await page.locator('#admin-page', { hasText: 'page 2: 1 connection(s)' }).waitFor({ timeout: WAIT })
    await page.click('#admin-first')
    await page.locator('#admin-page', { hasText: 'page 1: 1 connection(s), more' }).waitFor({ timeout: WAIT })

    await page.fill('#admin-limit', '100')
    await page.click('#admin-filter button[type="submit"]')
    await listed(page, 2)
    const logged = await page.locator('#log li').count()
    await page.fill('#admin-every', '1')
    await page.check('#admin-auto')
    two.push(await joe('c'))
    await listed(page, 3) // no click: the timer refreshed
    t.equal(await page.locator('#log li').count(), logged, 'an auto-refresh logs nothing while it works')

    await t.test('a non-admin login is refused and the auto-refresh stops', async (t) => {
      await page.fill('#admin-key', '')
      await page.fill('#username', ALICE.username)
      await page.fill('#password', ALICE.password)
      await page.click('#login button[type="submit"]')
      await page.locator('#admin-credentials', { hasText: 'using the login\'s Bearer token' }).waitFor({ timeout: WAIT })
      await logLine(page, 'error', 'GET /api/connections?protocol=webrocket&limit=100: 403')
      await logLine(page, 'error', 'auto-refresh stopped')
      t.notOk(await page.isChecked('#admin-auto'))
    })

    await t.test('an admin login closes all of a user\'s connections', async (t) => {
      const alice = [(await connected(url, wsUrl)).client, (await connected(url, wsUrl)).client]
      for (const client of alice) t.teardown(() => client.close())
      await page.fill('#username', ADMIN.username)
      await page.fill('#password', ADMIN.password)
      await page.click('#login button[type="submit"]')
      await logLine(page, 'note', `logged in as ${ADMIN.username}`)
      await page.selectOption('#admin-protocol', '')
      await page.click('#admin-filter button[type="submit"]')
      await listed(page, 5)
      t.same((await page.locator('#admin-summary li').allTextContents()).map((line) => line.replace(/ on \S+:/, ':')), ['telegraphy: 2', 'webrocket: 3'])
      await page.locator('#admin-connections tr', { hasText: 'telegraphy' }).first().locator('button.close-user').click()
      for (const client of alice) t.equal((await client.closed(WAIT)).code, 1008)
      await logLine(page, 'note', 'closed 2 connection(s) of alice')
      await listed(page, 3, true)
      await eventually(async () => await serverCount(url) === 3, WAIT, 'the closed sockets unlisted')
      await page.click('#admin-refresh')
      await page.locator('#admin-page', { hasText: 'page 1: 3 connection(s)' }).waitFor({ timeout: WAIT })
      t.same((await rows(page)).map((row) => row[2]), ['webrocket', 'webrocket', 'webrocket'], 'joe\'s left open')
      await page.fill('#admin-close-username', 'nobody')
      await page.click('#admin-close-user button[type="submit"]')
      await logLine(page, 'note', 'closed 0 connection(s) of nobody')
      t.equal(two.filter((client) => client.closeInfo !== null).length, 0)
    })
  })

  await t.test('every publish route takes its template as it is', async (t) => {
    for (const route of await page.locator('#publish-route option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value))) {
      await page.click('#clear')
      await page.selectOption('#publish-route', route)
      await page.click('#publish button[type="submit"]')
      await logLine(page, 'note', 'published: ')
      t.equal(await page.locator('#log li.error').count(), 0, route)
    }
  })

  await t.test('rendering: data stays text, incomplete pages are flagged, counts per node', async (t) => {
    const result = await page.evaluate(`Promise.all([import('/console/admin-connections.js'), import('/console/admin-publish.js'), import('/console/admin.js'), import('/console/admin-presence.js')])
      .then(([{ rowOf, summaryOf, coverageOf, since }, { publishPath, PUBLISH_ROUTES }, { credentialsOf }, { presencePath }]) => {
        const hostile = '<img src=x onerror="window.pwned=1">'
        const row = rowOf({ id: hostile, node: 'n', protocol: 'das', user: null, address: hostile, connectedSince: 0, subscriptions: ['/a', '/b'], framesIn: 1, framesOut: 2, bytesIn: 3, bytesOut: 4 }, {})
        return {
          html: row.innerHTML,
          images: row.querySelectorAll('img').length,
          userButtons: row.querySelectorAll('button.close-user').length,
          anonymous: row.children[3].textContent,
          named: rowOf({ id: '1', node: 'n', protocol: 'telegraphy', user: hostile, address: '', connectedSince: 0, subscriptions: [], framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0 }, {}).children[3].textContent,
          closedRow: ((row) => [row.className, row.lastChild.textContent])(rowOf({ id: '1', node: 'n', protocol: 'telegraphy', user: 'u', address: '', connectedSince: 0, subscriptions: [], framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0 }, {}, true)),
          namedButtons: rowOf({ id: '1', node: 'n', protocol: 'telegraphy', user: 'u', address: '', connectedSince: 0, subscriptions: [], framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0 }, {}).querySelectorAll('button.close-user').length,
          summary: summaryOf([{ protocol: 'das', node: 'b' }, { protocol: 'webrocket', node: 'a' }, { protocol: 'das', node: 'b' }]),
          coverage: [coverageOf({ incomplete: true, missingNodes: ['b', 'c'] }), coverageOf({ incomplete: true, missingNodes: [] }), coverageOf({ incomplete: false, missingNodes: [] })],
          since: [since(0, 30_000), since(0, 600_000), since(0, 36_000_000)].map((s) => s.replace(/^.* \\(/, '(')),
          paths: [publishPath(PUBLISH_ROUTES[1], { vhost: '/a b' }), publishPath(PUBLISH_ROUTES[0], { type: 'x/y' }), presencePath('really', '/users/*/')],
          credentials: [credentialsOf('k', 't'), credentialsOf('', 't'), credentialsOf('', null)],
        }
      })`) as Record<string, unknown>
    t.match(result.html, /&lt;img src=x onerror="window.pwned=1"&gt;/, 'markup in data is shown as text')
    t.equal(result.images, 0)
    t.equal(result.userButtons, 0, 'an anonymous connection has no user to close')
    t.equal(result.anonymous, '(anonymous)')
    t.equal(result.named, '<img src=x onerror="window.pwned=1">', 'a user name as it is, as text')
    t.same(result.closedRow, ['closed', 'closed'], 'a closed row: struck out, no buttons')
    t.equal(result.namedButtons, 1, 'a core user\'s connections can be closed together')
    t.same(result.summary, ['das on b: 2', 'webrocket on a: 1'])
    t.same(result.coverage, ['incomplete: no answer from b, c', 'incomplete: some nodes did not answer', ''])
    t.same(result.since, ['(30 s ago)', '(10 min ago)', '(10 h ago)'])
    t.same(result.paths, ['/api/webrocket/vhosts/a%20b/broadcast', '/api/syscache/events/x%2Fy', '/api/presence/really/%2Fusers%2F*%2F'])
    t.same(result.credentials, [
      { headers: { 'x-api-key': 'k' }, how: 'X-API-Key' },
      { headers: { authorization: 'Bearer t' }, how: 'the login\'s Bearer token' },
      null,
    ])
  })

  const origin = new URL(url).origin
  t.same(requests.filter((r) => new URL(r).origin !== origin), [], 'every request went to the server\'s origin')
  t.same(cspViolations, [], 'no Content-Security-Policy violation')
})

t.test('two nodes with Redis: the console on A lists, publishes to and closes a client on B', { skip: skipWithoutChromium }, async (t) => {
  const shared = await sharedClusterOverrides(t)
  const a = await startApp(t, shared)
  const b = await startApp(t, shared)
  const client = await WsClient.connect(`${b.wsUrl}/webrocket/echo`)
  t.teardown(() => client.close())
  t.same(await client.request({ authenticate: { user: 'joe', secret: 's3cret' } }), { authenticated: 'joe' })
  t.same(await client.request({ subscribe: { channel: 'hello' } }), { subscribed: 'hello' })
  const [held] = (await request(b.url, 'GET', '/api/connections', { apiKey: TEST_API_KEY })).body.connections

  const browser = await launchChromium(t)
  const page = await browser.newPage()
  const requests: string[] = []
  page.on('request', (r) => requests.push(r.url()))
  await page.goto(`${a.url}/console`)
  await page.locator('body[data-ready="true"]').waitFor({ timeout: WAIT })
  await page.fill('#admin-key', TEST_API_KEY)
  await page.click('#admin-refresh')
  await listed(page, 1)
  const [[id, node]] = await rows(page)
  t.same({ id, node }, { id: held.id, node: held.node }, 'B\'s connection, listed on A')
  t.equal(node, b.app.services.clusterConnections.node, 'held by B')
  t.not(node, a.app.services.clusterConnections.node)
  t.same(await page.locator('#admin-summary li').allTextContents(), [`webrocket on ${held.node}: 1`])

  await page.selectOption('#presence-protocol', 'webrocket')
  await page.fill('#presence-channel', '/echo/hello')
  await page.click('#presence button[type="submit"]')
  await page.locator('#presence-connections tr', { hasText: held.node }).waitFor({ timeout: WAIT })

  await page.selectOption('#publish-route', 'webrocket')
  await page.click('#publish button[type="submit"]')
  t.match(await client.json(WAIT), { event: 'greeting', channel: 'hello', data: { text: 'hi' } }, 'published on A, received on B')

  await page.click(`#admin-connections tr[data-id="${held.id}"] button.close-connection`)
  t.equal((await client.closed(WAIT)).code, 1008, 'closed on B from A')
  await logLine(page, 'note', `closed webrocket connection ${held.id} of joe on ${held.node}`)
  t.same(requests.filter((r) => new URL(r).origin !== new URL(a.url).origin), [], 'every request went to A')
})

