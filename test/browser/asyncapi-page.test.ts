import t from 'tap'
import { startApp } from '../helpers/app.js'
import { launchChromium, skipWithoutChromium } from '../helpers/browser.js'

// /docs/asyncapi in headless Chromium: the page shows the five channels and every request it
// makes goes to this server (none leaves: no CDN, no font, no script from elsewhere).
t.test('the AsyncAPI page renders offline', { skip: skipWithoutChromium }, async (t) => {
  const { url } = await startApp(t)
  const browser = await launchChromium(t)
  const context = await browser.newContext()
  const requests: string[] = []
  // Every request of the page, answered only when it is for this server (anything else aborts).
  await context.route('**/*', (route) => {
    const requested = route.request().url()
    requests.push(requested)
    return requested.startsWith(`${url}/`) ? route.continue() : route.abort()
  })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()) })
  const response = await page.goto(`${url}/docs/asyncapi`, { waitUntil: 'load', timeout: 10_000 })
  t.equal(response?.status(), 200)
  const channels = await page.locator('section.channel h2').allTextContents()
  t.same(channels.map((text) => text.replace(/\s+/g, ' ').trim()), [
    'syscache (sysadm) (channel syscache)',
    'WebRocket (channel webrocket)',
    'Telegraphy (channel telegraphy)',
    'Really.io (channel really)',
    'DAS (EarthRanger real-time) (channel das)',
  ])
  // An example of each direction, as the console would copy it.
  t.ok(await page.locator('#message-webrocket\\.authenticate pre', { hasText: '"s3cret"' }).count(), 'WebRocket authenticate example')
  t.ok(await page.locator('#message-das\\.resp_authorization').count(), 'DAS resp_authorization')
  t.ok(requests.length >= 1, `${requests.length} requests`)
  t.same(requests.filter((requested) => !requested.startsWith(`${url}/`)), [], 'no request leaves the server')
  t.same(errors, [], 'no console error (CSP included)')
})
