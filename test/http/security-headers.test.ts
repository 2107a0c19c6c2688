import t from 'tap'
import { request, startApp } from '../helpers/app.js'
import { ADMIN } from '../helpers/config.js'

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
