import { readFileSync } from 'node:fs'
import { Parser } from '@asyncapi/parser'
import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import t from 'tap'
import { buildApp, socketChannels } from '../../../src/app.js'
import { openapiConfig } from '../../../src/cli.js'
import { loadConfig } from '../../../src/config/load.js'
import { asyncApiDocument } from '../../../src/http/docs/asyncapi/document.js'
import { addSocketUpgrades } from '../../../src/http/docs/socket-upgrades.js'
import { version } from '../../../src/version.js'
import * as das from '../../../plugins/das/messages.js'
import * as really from '../../../plugins/really/messages.js'
import * as syscache from '../../../plugins/syscache/messages.js'
import * as telegraphy from '../../../plugins/telegraphy/messages.js'
import * as webrocket from '../../../plugins/webrocket/messages.js'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const COMMITTED = new URL('../../../openapi/asyncapi.json', import.meta.url)
const channels = socketChannels(openapiConfig().protocols)
const document = asyncApiDocument(channels, { version }) as Json

/** Each plugin's schema records: what clients send and what the server sends. */
const RECORDS: Record<string, { receive: Record<string, TSchema>, send: Record<string, TSchema> }> = {
  syscache: { receive: syscache.ClientFrames, send: syscache.ServerFrames },
  webrocket: { receive: webrocket.ClientFrames, send: webrocket.ServerFrames },
  telegraphy: { receive: telegraphy.ClientFrames, send: telegraphy.ServerFrames },
  really: { receive: really.ClientFrames, send: really.ServerFrames },
  das: { receive: das.ClientEvents, send: das.ServerEvents },
}

t.test('@asyncapi/parser finds no error and no warning in the committed document', async (t) => {
  const { document: parsed, diagnostics } = await new Parser().parse(readFileSync(COMMITTED, 'utf8'))
  // Severities: 0 error, 1 warning, 2 information (the one about 3.1.0), 3 hint.
  const problems = diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code} at ${d.path.join('.')}: ${d.message}`)
  t.same(problems, [])
  t.ok(parsed, 'parsed')
  t.same(parsed?.channels().all().map((c) => c.id()), ['syscache', 'webrocket', 'telegraphy', 'really', 'das'])
})

t.test('the committed file is what the generator writes for the default config', async (t) => {
  t.equal(readFileSync(COMMITTED, 'utf8'), `${JSON.stringify(document, null, 2)}\n`, 'run `npm run openapi` to regenerate openapi/asyncapi.json')
})

t.test('GET /docs/asyncapi.json serves the committed document', async (t) => {
  const app = await buildApp(openapiConfig(), { logger: false })
  t.teardown(() => app.close())
  const response = await app.inject({ method: 'GET', url: '/docs/asyncapi.json' })
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^application\/json/)
  t.equal(response.body, readFileSync(COMMITTED, 'utf8'))
})

t.test('the contract the console reads', async (t) => {
  t.equal(document.asyncapi, '3.0.0')
  t.same(Object.keys(document.channels), ['syscache', 'webrocket', 'telegraphy', 'really', 'das'])
  t.same(Object.fromEntries(Object.entries(document.channels as Json).map(([id, c]) => [id, c.address])), {
    syscache: '/syscache', webrocket: '/webrocket/{vhost}', telegraphy: '/telegraphy', really: '/v0.1/socket', das: '/socket.io/',
  })
  t.same(document.channels.webrocket.parameters.vhost.examples, ['echo'])
  t.equal(document.channels.das['x-socketio-namespace'], '/das')
  t.match(document.channels.das.description, /namespace \/das/)
  t.same(Object.fromEntries(Object.entries(document.channels as Json).map(([id, c]) => [id, c['x-token']])), {
    syscache: null,
    webrocket: null,
    telegraphy: { operationId: 'issueTelegraphyAuthToken', method: 'POST', path: '/api/telegraphy/auth-tokens' },
    really: { operationId: 'reallyPasswordLogin', method: 'POST', path: '/auth/password/login/' },
    das: { operationId: 'oauthToken', method: 'POST', path: '/oauth2/token' },
  })
  for (const [id, channel] of Object.entries(document.channels as Json)) {
    t.ok(channel['x-token-description'].length > 20, `${id} says how to get its token`)
    for (const [action, direction] of [['receive', 'receive'], ['send', 'send']] as const) {
      const operation = document.operations[`${id}.${direction}`]
      t.equal(operation.action, action)
      t.same(operation.channel, { $ref: `#/channels/${id}` })
      const names = operation.messages.map((m: Json) => m.$ref.replace(`#/channels/${id}/messages/`, ''))
      t.same(names.sort(), Object.keys(RECORDS[id]![direction]).sort(), `${id} ${action}: one message per schema of the plugin's record`)
      for (const name of names) {
        t.same(channel.messages[name], { $ref: `#/components/messages/${id}.${name}` })
        const message = document.components.messages[`${id}.${name}`]
        t.equal(message.name, name)
        t.ok(message.title && message.summary, `${id}.${name} has a title and a summary`)
        t.same(message.payload, JSON.parse(JSON.stringify(RECORDS[id]![direction][name])), `${id}.${name}: the plugin's schema`)
        t.ok(message.examples.length >= 1, `${id}.${name} has an example`)
      }
    }
  }
})

t.test('every example validates against its schema, the one the server uses', async (t) => {
  let count = 0
  for (const channel of channels) {
    for (const frame of [...channel.receive, ...channel.send]) {
      const check = TypeCompiler.Compile(frame.schema)
      for (const example of frame.examples) {
        count++
        const errors = [...check.Errors(example.payload)].map((e) => `${e.path}: ${e.message}`)
        t.same(errors, [], `${channel.id}.${frame.name} example ${example.name}`)
      }
    }
  }
  t.ok(count > 80, `${count} examples`)
})

t.test('the channels follow the config', async (t) => {
  const config = loadConfig({
    overrides: {
      protocols: {
        syscache: { enabled: false },
        webrocket: { prefix: '/wr' },
        telegraphy: { requireAuth: false },
        really: { prefix: '/rio', versions: ['v0.1', 'v0.2'] },
        das: { path: '/io/', namespace: '/ops', allowEIO3: false },
      },
    },
  })
  const built = asyncApiDocument(socketChannels(config.protocols), { version }) as Json
  const paths: Record<string, Json> = {}
  addSocketUpgrades(paths, socketChannels(config.protocols))
  t.same(paths['/rio/{version}/socket']!.get.parameters[0].schema, { type: 'string', enum: ['v0.1', 'v0.2'] })
  t.notOk(paths['/io/']!.get.parameters, 'no path parameters')
  t.same(Object.keys(built.channels), ['webrocket', 'telegraphy', 'really', 'das'])
  t.equal(built.channels.webrocket.address, '/wr/{vhost}')
  t.match(built.channels.telegraphy['x-token-description'], /requireAuth off/)
  t.equal(built.channels.really.address, '/rio/{version}/socket')
  t.same(built.channels.really.parameters.version.enum, ['v0.1', 'v0.2'])
  t.equal(built.channels.really['x-token'].path, '/rio/auth/password/login/')
  t.equal(built.channels.das.address, '/io/')
  t.equal(built.channels.das['x-socketio-namespace'], '/ops')
  t.notMatch(built.channels.das.description, /Engine.IO 4, and 3/)
})

t.test('two frames of one channel with one name are refused', async (t) => {
  const [channel] = channels
  t.throws(() => asyncApiDocument([{ ...channel!, send: [...channel!.send, channel!.receive[0]!] }], { version }), /two frames named auth/)
})
