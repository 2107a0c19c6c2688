import { spawn } from 'node:child_process'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { WebSocketServer } from 'ws'
import { startApp } from './helpers/app.js'
import { dasEventProblem, dasEvents, frameProblem, serverFrames } from './helpers/server-frames.js'
import { WsClient } from './helpers/ws-client.js'
import { DasClient, dasOverrides } from './plugins/das/das-client.js'

// The shared check of every frame a test client receives (test/helpers/server-frames.ts): it
// passes what the servers send and fails, with protocol, frame and schema path, what they must not.

t.test('frames of each WebSocket protocol: the valid pass, the others are told apart', async (t) => {
  const cases = [
    {
      protocol: 'syscache',
      valid: { namespace: 'rpc', name: 'error', id: 'x', args: { code: 401, message: 'Unauthorized' } },
      // The final server's error envelope (§1.5), which we do not send: a string code.
      invalid: { namespace: 'rpc', name: 'error', id: 'x', args: { code: '401', message: 'Unauthorized' } },
      closest: 'error',
      path: '/args/code',
    },
    { protocol: 'webrocket', valid: { subscribed: 'hello' }, invalid: { err: 'NO_SUCH_ERROR' }, closest: 'error', path: '/err' },
    {
      protocol: 'telegraphy',
      valid: { success: true, status: 'CONNECTED', id: 0, data: { session_token: 'abc' } },
      invalid: { success: true, status: 'CONNECTED', id: 0, data: {} },
      closest: 'connected',
      path: '/data/session_token',
    },
    {
      protocol: 'really',
      valid: { tag: 3, evt: 'pinged' },
      // An Infinity tag written by JSON.stringify: not a number on the wire.
      invalid: { tag: null, error: { code: 400, message: 'json.malformed' } },
      closest: 'error',
      path: '/tag',
    },
  ] as const
  for (const { protocol, valid, invalid, closest, path } of cases) {
    t.equal(frameProblem(protocol, JSON.stringify(valid)), null, `${protocol}: a valid frame passes`)
    const problem = frameProblem(protocol, JSON.stringify(invalid)) ?? ''
    t.match(problem, `${protocol} server frame matches no schema of plugins/${protocol}/messages.ts ServerFrame`, `${protocol}: names the protocol`)
    t.ok(problem.includes(JSON.stringify(invalid)), `${protocol}: shows the frame`)
    t.match(problem, `closest schema "${closest}": ${path}:`, `${protocol}: names the schema it comes closest to and the error path`)
  }
  t.match(frameProblem('webrocket', '{"subscribed":"x","extra":1}'), 'closest schema "subscribed": /extra:', 'an extra key is refused where the server writes the whole frame')
  t.match(frameProblem('syscache', 'not json'), 'syscache server frame is not JSON: not json')
})

t.test('DAS events: by name, one argument each, checked against ServerEvents', async (t) => {
  const ack = () => {}
  t.equal(dasEventProblem('connect_ack', [{ type: 'connect_ack', message: 'Connect acknowledgment.' }]), null)
  t.equal(dasEventProblem('new_event', [{ type: 'new_event', event_id: 'e1', matches_current_filter: true, mid: 1, trace_id: 'trace-abc-1700000000.123456' }, ack]), null, 'a data event and its ack callback')
  t.match(dasEventProblem('resp_authorization', [{ type: 'resp_authorization', resp_id: 1, status: { code: 500, message: 'x' } }]),
    'das server event "resp_authorization" does not match plugins/das/messages.ts ServerEvents.resp_authorization', 'a wrong payload')
  t.match(dasEventProblem('resp_authorization', [{ type: 'resp_authorization', resp_id: 1, status: { code: 500, message: 'x' } }]), '/status/code:', 'with its error path')
  t.match(dasEventProblem('new_event', [{ type: 'new_event', mid: 1 }, ack]), /\/(trace_id|matches_current_filter):/, 'a data event without its per-socket fields')
  t.match(dasEventProblem('service_status', [{ type: 'service_status', mid: 1, trace_id: 'trace-abc-1700000000.123456' }]), '/trace_id:', 'service_status is never traced')
  t.match(dasEventProblem('message', ['raw']), 'das server event "message" is not an event of plugins/das/messages.ts ServerEvents')
  t.match(dasEventProblem('echo_resp', [{ type: 'echo_resp', resp_id: 5, message: 1 }, { second: true }]), 'carries 2 arguments')
})

t.test('a WsClient reports each frame that is not its protocol\'s, and still delivers it', async (t) => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  t.teardown(() => server.close())
  await once(server, 'listening')
  const good = '{"authenticated":"joe"}'
  const bad = '{"authenticated":42}'
  server.on('connection', (ws) => { ws.send(good); ws.send(bad) })
  const problems: string[] = []
  const client = await WsClient.connect(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, {}, serverFrames('webrocket', (p) => problems.push(p)))
  t.teardown(() => client.close())
  t.equal(await client.next(), good)
  t.equal(await client.next(), bad)
  t.equal(problems.length, 1, 'one report, for the bad frame')
  t.match(problems[0], `frame: ${bad}`)
  t.match(problems[0], 'closest schema "authenticated": /authenticated:')
})

t.test('a DasClient reports an event the server does not send, v4 (any event) and v2 (the ones it listens to)', async (t) => {
  const { app, url } = await startApp(t, dasOverrides({ authWindow: 0 }))
  for (const version of [4, 2] as const) {
    const problems: string[] = []
    const client = await DasClient.connect(url, { version, check: dasEvents((p) => problems.push(p)) })
    t.teardown(() => client.close())
    t.match(await client.request('echo', { id: 1, data: 'x' }, 'echo_resp'), { resp_id: 1 })
    t.same(problems, [], `v${version}: a real reply passes`)
    app.das.io.of('/das').to(client.id).emit('message', 'not a DAS event')
    await client.next('message')
    t.equal(problems.length, 1, `v${version}: reported`)
    t.match(problems[0], 'das server event "message" is not an event of plugins/das/messages.ts ServerEvents')
  }
})

/** Runs the fixture test file with this process's TypeScript loader, outside this tap run. */
async function runFixture (frame: string): Promise<{ code: number | null, output: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TAP')))
  const child = spawn(process.execPath, [...process.execArgv, 'test/helpers/server-frames-fixture.ts'], {
    env: { ...env, FRAME: frame },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const [code] = await once(child, 'exit') as [number | null]
  clearTimeout(timer)
  return { code, output }
}

t.test('the default report fails the test whose client received the frame, though the test passes it', async (t) => {
  const good = await runFixture('{"namespace":"rpc","name":"response","id":"i","args":{"type":"server","hostname":"h"}}')
  t.equal(good.code, 0, 'a valid frame: the fixture passes', { output: good.output })
  const bad = await runFixture('{"namespace":"rpc","name":"error","id":"i","args":{"code":"401","message":"Unauthorized"}}')
  t.equal(bad.code, 1, 'a frame that matches no schema: the fixture fails', { output: bad.output })
  t.match(bad.output, /not ok \d+ - syscache server frame matches no schema of plugins\/syscache\/messages\.ts ServerFrame/, 'with the problem as the failure')
  t.match(bad.output, 'closest schema "error": /args/code:')
  t.match(bad.output, /not ok \d+ - a syscache client receives one frame/, 'in the test whose client received it')
})
