import t from 'tap'
import { request, startApp, TEST_API_KEY } from '../../helpers/app.js'

t.test('GET /metrics answers Prometheus text with every protocol at zero', async (t) => {
  const { url } = await startApp(t)
  const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  const text = await response.text()
  for (const protocol of ['syscache', 'webrocket', 'telegraphy', 'really', 'das']) {
    t.match(text, new RegExp(`^switchboard_connections\\{protocol="${protocol}"\\} 0$`, 'm'), `${protocol} listed at zero`)
  }
  t.match(text, /^switchboard_dependency_up\{dependency="database"\} 1$/m, 'the database answers')
  t.match(text, /^switchboard_nodejs_eventloop_lag_seconds /m, 'Node default metrics, prefixed')
  t.match(text, /^switchboard_process_resident_memory_bytes /m)
})

t.test('metrics.enabled false: no route', async (t) => {
  const { url } = await startApp(t, { metrics: { enabled: false } })
  t.equal((await request(url, 'GET', '/metrics')).status, 404)
})

t.test('metrics.path moves the route', async (t) => {
  const { url } = await startApp(t, { metrics: { path: '/ops/prometheus' } })
  t.equal((await request(url, 'GET', '/metrics')).status, 404, 'not at the default path')
  const { status, body } = await request(url, 'GET', '/ops/prometheus')
  t.equal(status, 200)
  t.match(body, /^switchboard_connections_opened_total\{protocol="das"\} 0$/m)
})

t.test('metrics.apiKey: a scrape must present it', async (t) => {
  const key = 'scrape-key-0123456789'
  const { url } = await startApp(t, { metrics: { apiKey: key } })
  const none = await request(url, 'GET', '/metrics')
  t.equal(none.status, 401, 'no key')
  t.equal(none.headers.get('www-authenticate'), 'Bearer')
  t.match(none.body, { statusCode: 401, error: 'Unauthorized' })
  t.equal((await request(url, 'GET', '/metrics', { headers: { authorization: 'Bearer wrong-key-0123456789' } })).status, 401, 'a wrong bearer key')
  t.equal((await request(url, 'GET', '/metrics', { apiKey: TEST_API_KEY })).status, 401, 'a service API key is not the metrics key')
  t.equal((await request(url, 'GET', '/metrics', { headers: { authorization: 'Basic abc' } })).status, 401, 'another scheme')
  const bearer = await request(url, 'GET', '/metrics', { headers: { authorization: `Bearer ${key}` } })
  t.equal(bearer.status, 200, 'Authorization: Bearer KEY')
  t.match(bearer.body, /^switchboard_connections\{protocol="webrocket"\} 0$/m)
  t.equal((await request(url, 'GET', '/metrics', { apiKey: key })).status, 200, 'X-API-Key: KEY')
})

t.test('a config with a too short metrics.apiKey is refused', async (t) => {
  await t.rejects(startApp(t, { metrics: { apiKey: 'short' } }), /metrics\/apiKey/)
})
