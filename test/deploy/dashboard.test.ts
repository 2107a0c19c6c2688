import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'
import { parse } from 'yaml'
import { request, startApp, TEST_API_KEY } from '../helpers/app.js'
import { client, overrides } from '../plugins/webrocket/fixture.js'
import { scrapeUntil } from '../http/metrics/scrape.js'

// deploy/ (issue 17 item 4): the Grafana dashboard queries only series a node exposes, and
// compose.yaml wires Prometheus and Grafana to the files under deploy/. There is no Docker
// engine here: the files are parsed and cross-checked, not run.

const root = new URL('../../', import.meta.url)
const read = (path: string) => readFileSync(new URL(path, root), 'utf8')

interface Panel { title: string, datasource?: { uid?: string }, targets?: Array<{ expr?: string }> }
interface Dashboard { uid: string, panels: Panel[], templating: { list: Array<{ query: { query: string } | string }> } }

const dashboard = JSON.parse(read('deploy/grafana/dashboards/switchboard.json')) as Dashboard

/** Every `switchboard_*` name a PromQL text refers to. */
const metricNames = (expr: string) => [...expr.matchAll(/\bswitchboard_[a-zA-Z0-9_]+/g)].map((m) => m[0])

t.test('the dashboard parses and every metric it queries exists in a real scrape', async (t) => {
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((target) => target.expr ?? ''))
  t.ok(exprs.length >= 10, `${exprs.length} queries`)
  t.notOk(exprs.some((e) => e === ''), 'every target has an expr')
  const queries = [...exprs, ...dashboard.templating.list.map((v) => typeof v.query === 'string' ? v.query : v.query.query)]
  const wanted = new Set(queries.flatMap(metricNames))
  for (const title of ['Connections by protocol', 'Deliveries/s', 'Delivery latency p99', 'Slow consumers', 'Auth failures', 'Backend errors']) {
    t.ok(dashboard.panels.some((p) => p.title.startsWith(title)), `a panel: ${title}`)
  }

  // Traffic that fills every series, histograms included: a delivery, a backend call (its
  // backend unreachable: outcome failed), a refused credential, a closed connection.
  const { url, wsUrl } = await startApp(t, overrides({ triggerUrl: 'http://127.0.0.1:1/' }))
  const ws = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  t.same(await ws.request({ subscribe: { channel: 'd' } }), { subscribed: 'd' })
  t.equal((await request(url, 'POST', '/api/webrocket/vhosts/echo/broadcast', { apiKey: TEST_API_KEY, body: { channel: 'd', event: 'e', data: 1 } })).status, 200)
  t.ok(await ws.next(), 'delivered')
  t.same(await ws.request({ trigger: { event: 'x' } }), { err: 'ASSIGNATION_FAILED' }, 'the backend call failed')
  const refused = await client(wsUrl)
  t.ok((await refused.request({ authenticate: { user: 'back', secret: 'wrong' } })).err)
  refused.close()
  const scraped = (await scrapeUntil(url, (s) => s.value('switchboard_connections_closed_total') === 1, 'a connection closed')).names()
  for (const name of wanted) t.ok(scraped.has(name), `${name} is exposed`)
  ws.close()
})

t.test('compose.yaml runs Prometheus and Grafana on the files under deploy/', async (t) => {
  const compose = parse(read('compose.yaml')) as { services: Record<string, { image?: string, volumes?: string[], depends_on?: unknown }> }
  const { prometheus, grafana } = compose.services
  t.match(prometheus?.image, /^prom\/prometheus:/, 'the official Prometheus image')
  t.match(grafana?.image, /^grafana\/grafana:/, 'the official Grafana image')
  for (const service of [prometheus!, grafana!]) {
    for (const volume of service.volumes ?? []) {
      const source = volume.split(':')[0]!
      if (source.startsWith('./')) t.ok(existsSync(new URL(source, root)), `${source} exists`)
    }
  }

  const scrapeConfig = parse(read('deploy/prometheus/prometheus.yml')) as { scrape_configs: Array<{ metrics_path: string, static_configs: Array<{ targets: string[] }> }> }
  const job = scrapeConfig.scrape_configs[0]!
  t.equal(job.metrics_path, '/metrics', 'the default metrics.path')
  const targets = job.static_configs.flatMap((c) => c.targets)
  t.ok(targets.length >= 2, 'every node')
  for (const target of targets) t.ok(compose.services[target.split(':')[0]!], `${target} is a compose service`)

  const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yaml')) as { datasources: Array<{ uid: string, url: string }> }
  const uids = new Set(datasources.datasources.map((d) => d.uid))
  t.ok(dashboard.panels.every((p) => p.datasource?.uid !== undefined && uids.has(p.datasource.uid)), 'every panel uses the provisioned datasource')
  t.match(datasources.datasources[0]!.url, /^http:\/\/prometheus:9090/, 'the compose Prometheus')
  const providers = parse(read('deploy/grafana/provisioning/dashboards/switchboard.yaml')) as { providers: Array<{ options: { path: string } }> }
  t.ok(grafana!.volumes!.some((v) => v.startsWith('./deploy/grafana/dashboards:' + providers.providers[0]!.options.path)), 'the dashboards folder is where the provider looks')
})
