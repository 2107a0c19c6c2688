import t, { type Test } from 'tap'
import { startApp } from '../../helpers/app.js'
import { LogLines } from '../../helpers/log-lines.js'
import { expectClosedAtCap } from '../../helpers/never-reading.js'
import { eventually, WsClient } from '../../helpers/ws-client.js'
import { dasOverrides, openClient } from './das-client.js'

// Issue 14: a client that sends `echo` in a loop and never reads its replies grew the server
// from 270 MB to 3.5 GB in 40 s. Every packet, replies included, counts against the cap.
const LIMIT = 64 * 1024
const MAX_BYTES = 32 * 1024 * 1024
const DATA = 'x'.repeat(1024)
const echo = (i: number) => `42/das,${JSON.stringify(['echo', { id: i, data: DATA }])}`

// No auth window: `echo` is answered before authorization, and the test must not race the window.
const overrides = () => ({ ...dasOverrides({ authWindow: 0 }), server: { sendBufferLimit: LIMIT, closeTimeout: 200 } })

/** A raw Engine.IO v4 WebSocket client: the open packet read, nothing else sent yet. */
async function rawWebSocket (t: Test, wsUrl: string): Promise<WsClient> {
  const client = await WsClient.connect(`${wsUrl}/socket.io/?EIO=4&transport=websocket`)
  t.teardown(() => client.ws.terminate())
  t.match(await client.next(), /^0\{/)
  return client
}

t.test('a WebSocket client that sends echo and never reads is dropped at the cap', async (t) => {
  const log = new LogLines()
  const { app, url, wsUrl } = await startApp(t, { ...overrides(), log: { level: 'info' } }, { logStream: log.stream })
  // A client that reads its replies, on the same server: it must not notice the other one.
  const reader = await openClient(t, url)
  const client = await rawWebSocket(t, wsUrl)
  client.send('40/das,')
  const connected = await client.next()
  t.match(connected, /^40\/das,\{"sid"/)
  const sid = JSON.parse(connected.slice('40/das,'.length)).sid as string
  t.equal(app.services.connections.size, 2)
  t.equal((await (client.send(echo(0)), client.next())).startsWith('42/das,["echo_resp"'), true, 'echo is answered')

  await expectClosedAtCap(t, app, client, echo, { others: 1, maxBytes: MAX_BYTES })
  // Named by the id the close log and the connections API give it, not by its address alone.
  const dropped = await log.find((line) => line.msg === 'das connection dropped: send buffer limit exceeded')
  t.match(dropped, { connection: sid, transport: 'websocket', remoteAddress: String })
  t.equal(app.das.sessions.size, 1, 'its session is gone')
  t.equal(app.das.io.engine.clientsCount, 1, 'the Engine.IO connection is gone, not only the /das socket')
  t.equal((await reader.request('echo', { data: 'still here' }, 'echo_resp')).message, 'still here', 'the reading client is untouched')
})

t.test('socket.io\'s own replies count too: CONNECT_ERROR for unknown namespaces, never read', async (t) => {
  const log = new LogLines()
  const { app, wsUrl } = await startApp(t, { ...overrides(), log: { level: 'info' } }, { logStream: log.stream })
  const client = await rawWebSocket(t, wsUrl)
  // Answered by socket.io itself, before any DAS code runs: the cap sits under it, in engine.io.
  const unknown = (i: number) => `40/nope-${i}-${DATA},`
  await expectClosedAtCap(t, app, client, unknown, { maxBytes: MAX_BYTES })
  const dropped = await log.find((line) => line.msg === 'das connection dropped: send buffer limit exceeded')
  t.equal(dropped.connection, null, 'no DAS socket to name: it never opened the namespace')
  t.equal(app.das.io.engine.clientsCount, 0, 'the Engine.IO connection is gone')
})

t.test('a long-polling client that POSTs echo and never polls is dropped at the cap', async (t) => {
  const { app, url } = await startApp(t, overrides())
  const base = `${url}/socket.io/?EIO=4&transport=polling`
  const open = await fetch(base, { signal: AbortSignal.timeout(2000) })
  const sid = JSON.parse((await open.text()).slice(1)).sid as string
  const post = (body: string) => fetch(`${base}&sid=${sid}`, { method: 'POST', body, headers: { 'content-type': 'text/plain' }, signal: AbortSignal.timeout(2000) })
  t.equal((await post('40/das,')).status, 200)
  await eventually(() => app.das.sessions.size === 1, 2000, 'namespace connected')

  // Engine.IO v4 payloads: packets separated by the record separator, at most maxPayload (64 kB).
  let i = 0
  const payload = () => Array.from({ length: 16 }, () => echo(i++)).join('\x1e')
  const poll = () => fetch(`${base}&sid=${sid}`, { signal: AbortSignal.timeout(2000) })

  // While it polls, the same traffic never reaches the cap: 32 rounds, 512 kB of echo.
  let polled = ''
  for (let round = 0; round < 32; round++) {
    await (await post(payload())).text()
    polled = await (await poll()).text()
  }
  t.match(polled, /echo_resp/, 'replies come with the polls')
  t.equal(app.services.connections.slowConsumersClosed, 0, 'a polling client is not dropped')

  // It stops polling and goes on POSTing.
  let sentBytes = 0
  let status = 200
  while (app.services.connections.slowConsumersClosed === 0 && sentBytes < MAX_BYTES && status === 200) {
    const body = payload()
    const response = await post(body)
    await response.text()
    status = response.status
    sentBytes += body.length
  }
  t.equal(app.services.connections.slowConsumersClosed, 1, `dropped after ${sentBytes} bytes of echo`)
  t.ok(sentBytes < MAX_BYTES, 'before the loop ran out')
  await eventually(() => app.services.connections.size === 0 && app.das.io.engine.clientsCount === 0, 2000, 'connection gone')
  t.equal((await post(echo(i))).status, 400, 'the sid is unknown now')
})
