import { readFileSync } from 'node:fs'
import t from 'tap'
import { buildApp } from '../../../src/app.js'
import { openapiConfig } from '../../../src/cli.js'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const committed = JSON.parse(readFileSync(new URL('../../../openapi/openapi.json', import.meta.url), 'utf8')) as Json
const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options'])
const operations = (document: Json) => Object.entries(document.paths as Json).flatMap(([path, item]) =>
  Object.entries(item as Json).filter(([method]) => METHODS.has(method)).map(([method, operation]) => ({ path, method, operation: operation as Json })))

t.test('the committed OpenAPI document is what the app generates', async (t) => {
  const app = await buildApp(openapiConfig(), { logger: false })
  t.teardown(() => app.close())
  await app.ready()
  t.same(JSON.parse(JSON.stringify(app.swagger())), committed, 'run `npm run openapi` to regenerate openapi/openapi.json')
})

t.test('every operation has a unique camelCase operationId', async (t) => {
  const ops = operations(committed)
  t.ok(ops.length > 30, `${ops.length} operations`)
  const ids = ops.map(({ method, path, operation }) => {
    t.match(operation.operationId, /^[a-z][A-Za-z0-9]*$/, `${method.toUpperCase()} ${path}`)
    return operation.operationId as string
  })
  t.equal(new Set(ids).size, ids.length, 'no operationId twice')
})

t.test('servers, and /docs links to the AsyncAPI page and the console', async (t) => {
  t.same(committed.servers, [{ url: '/', description: 'This server' }])
  t.match(committed.info.description, /\(\/docs\/asyncapi\)/)
  t.match(committed.info.description, /\(\/console\)/)
})

t.test('the five socket endpoints are listed as their upgrade GET, with their token and AsyncAPI channel', async (t) => {
  const asyncapi = JSON.parse(readFileSync(new URL('../../../openapi/asyncapi.json', import.meta.url), 'utf8')) as Json
  const sockets = { syscache: '/syscache', webrocket: '/webrocket/{vhost}', telegraphy: '/telegraphy', really: '/v0.1/socket', das: '/socket.io/' }
  for (const [id, path] of Object.entries(sockets)) {
    t.ok(committed.paths[path]?.get, `GET ${path}`)
    const operation = (committed.paths[path]?.get ?? {}) as Json
    t.same(operation.tags, [id])
    t.equal(operation.operationId, `${id}Socket`)
    t.equal(operation.externalDocs.url, `/docs/asyncapi#${id}`)
    t.equal(operation['x-asyncapi-channel'], id)
    t.ok(operation.responses['101'], 'answers 101')
    t.match(operation.description, /Token: /)
    const token = asyncapi.channels[id]['x-token'] as { operationId: string, method: string, path: string } | null
    t.same(operation['x-token'], token)
    if (token !== null) {
      // The token's REST operation is in this document, under the same id, method and path.
      const named = operations(committed).find(({ operation }) => operation.operationId === token.operationId)
      t.same(named && { method: named.method.toUpperCase(), path: named.path }, { method: token.method, path: token.path }, `${id}: ${token.operationId}`)
    }
  }
  t.same(committed.paths['/webrocket/{vhost}'].get.parameters.map((p: Json) => [p.name, p.in]), [['vhost', 'path']])
})
