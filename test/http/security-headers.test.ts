import type { IncomingMessage } from 'node:http'
import t from 'tap'
import { WebSocket } from 'ws'
import { request, startApp } from '../helpers/app.js'
import { ADMIN } from '../helpers/config.js'
import { DEFAULT_WAIT } from '../helpers/ws-client.js'

/** The policy as a map of directive → sources, from the header. */
function directives (header: string | null): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const part of (header ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/)
    if (name) out[name] = sources
  }
  return out
}

t.test('helmet headers on REST replies, errors, the docs page and its static files', async (t) => {
  const { url } = await startApp(t)
  const replies = {
    health: await request(url, 'GET', '/health'),
    login: await request(url, 'POST', '/api/auth/login', { body: ADMIN }),
    badLogin: await request(url, 'POST', '/api/auth/login', { body: { username: 'admin' } }),
    unknown: await request(url, 'GET', '/no/such/route'),
    docs: await request(url, 'GET', '/docs/'),
    bundle: await request(url, 'GET', '/docs/static/swagger-ui-bundle.js'),
    openapi: await request(url, 'GET', '/docs/json'),
  }
  t.equal(replies.docs.status, 200)
  t.equal(replies.bundle.status, 200)
  for (const [name, { headers }] of Object.entries(replies)) {
    t.equal(headers.get('x-content-type-options'), 'nosniff', `${name}: nosniff`)
    t.equal(headers.get('x-frame-options'), 'SAMEORIGIN', `${name}: frame options`)
    t.match(headers.get('strict-transport-security'), /max-age=\d+/, `${name}: HSTS`)
    t.equal(headers.get('referrer-policy'), 'no-referrer', `${name}: referrer policy`)
    t.equal(headers.get('cross-origin-opener-policy'), 'same-origin', `${name}: COOP`)
    t.equal(headers.get('x-powered-by'), null, `${name}: nothing advertised`)
    t.ok(headers.get('content-security-policy'), `${name}: CSP`)
  }
})

t.test('the CSP lets Swagger UI load from this server only, with no inline script', async (t) => {
  const { url } = await startApp(t)
  const policy = directives((await request(url, 'GET', '/docs/')).headers.get('content-security-policy'))
  t.same(policy['default-src'], ["'self'"])
  t.same(policy['script-src'], ["'self'"], 'Swagger UI needs no inline script (its initializer is a file)')
  t.same(policy['script-src-attr'], ["'none'"])
  t.same(policy['object-src'], ["'none'"])
  t.same(policy['img-src'], ["'self'", 'data:'], 'its logo is a data: image')
  t.same(policy['style-src'], ["'self'", "'unsafe-inline'"])
  t.notOk('upgrade-insecure-requests' in policy, 'plain-HTTP deployments keep loading their scripts')
  t.notOk(Object.values(policy).flat().some((source) => source.startsWith('http')), 'nothing from other hosts (works offline)')
  // The page itself references only files the server has, under that policy.
  const page = String((await request(url, 'GET', '/docs/')).body)
  t.notMatch(page, /<script>[^<]*\S[^<]*<\/script>/, 'no inline script body in the page')
  for (const [, src] of page.matchAll(/<script src="([^"]+)"/g)) {
    t.equal((await request(url, 'GET', `/docs/${src.replace(/^\.\//, '')}`)).status, 200, `${src} is served`)
  }
})

/** The status and headers of an upgrade attempt the server answers without switching protocols. */
function refusedUpgrade (url: string, headers: Record<string, string> = {}): Promise<{ status: number, headers: IncomingMessage['headers'] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    const timer = setTimeout(() => reject(new Error('no reply')), DEFAULT_WAIT)
    ws.once('unexpected-response', (_request, response) => {
      clearTimeout(timer)
      resolve({ status: response.statusCode ?? 0, headers: response.headers })
      response.resume()
      ws.terminate()
    })
    ws.once('open', () => { clearTimeout(timer); ws.close(); reject(new Error('upgrade accepted')) })
    ws.once('error', (err) => { clearTimeout(timer); reject(err) })
  })
}

t.test('refused upgrades get the headers and their request id; an accepted 101 carries none of them', async (t) => {
  const { wsUrl } = await startApp(t)
  // §2.2: an unknown vhost is a 404 before any upgrade (a reply the route sends).
  const refused = await refusedUpgrade(`${wsUrl}/webrocket/no-such-vhost`, { 'x-request-id': 'refused-1' })
  t.equal(refused.status, 404)
  t.equal(refused.headers['x-content-type-options'], 'nosniff')
  t.equal(refused.headers['x-frame-options'], 'SAMEORIGIN')
  t.ok(refused.headers['content-security-policy'], 'CSP')
  t.equal(refused.headers['x-request-id'], 'refused-1')
  const accepted = await new Promise<IncomingMessage['headers']>((resolve, reject) => {
    const ws = new WebSocket(`${wsUrl}/syscache`)
    const timer = setTimeout(() => reject(new Error('no upgrade')), DEFAULT_WAIT)
    ws.once('upgrade', (response) => { clearTimeout(timer); resolve(response.headers) })
    ws.once('open', () => ws.close())
    ws.once('error', (err) => { clearTimeout(timer); reject(err) })
  })
  t.equal(accepted['content-security-policy'], undefined, 'ws writes the 101: no page to protect')
  t.ok(accepted['x-request-id'], 'the 101 still names its request')
})
