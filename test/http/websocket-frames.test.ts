// RFC 6455 framing as the gateway's own WebSocket reads and writes it (GatewayWebSocket,
// FrameReader): frames split anyhow across TCP reads, fragmentation with control frames between,
// every malformed frame answered with the close code ws gave it, the closing handshake both ways.
// A bare TCP client sends what no WebSocket library would.
import { once } from 'node:events'
import { setTimeout as delay } from 'node:timers/promises'
import t, { type Test } from 'tap'
import type { WebSocket } from 'ws'
import { buildApp } from '../../src/app.js'
import { acceptWebSocket } from '../../src/http/websocket/accept.js'
import type { GatewayWebSocket } from '../../src/http/websocket/gateway-websocket.js'
import type { WsConnection } from '../../src/http/websocket/ws-connection.js'
import { testConfig, type ConfigOverrides } from '../helpers/config.js'
import { RawWebSocket, clientFrame, closePayload } from '../helpers/raw-websocket.js'
import { eventually } from '../helpers/ws-client.js'

const TEXT = 1
const BINARY = 2
const CONTINUATION = 0
const CLOSE = 8
const PING = 9
const PONG = 10

interface Accepted {
  connection: WsConnection
  socket: GatewayWebSocket
  /** Texts the session received, in order. */
  received: string[]
  /** The code the session was told the socket closed with. */
  closedWith?: number
  errors: Error[]
}

// An app whose one route echoes every message back as `echo:<text>`.
async function harness (t: Test, overrides: ConfigOverrides = {}): Promise<{ url: string, accepted: Accepted[], next: () => Promise<Accepted> }> {
  const app = await buildApp(testConfig(overrides), { logger: false })
  t.teardown(() => app.close())
  const accepted: Accepted[] = []
  const waiters: Array<() => void> = []
  app.get('/frames', { websocket: true }, (socket: WebSocket, request) => {
    const connection = acceptWebSocket(socket, request, 'test', app.services)
    const entry: Accepted = { connection, socket: socket as unknown as GatewayWebSocket, received: [], errors: [] }
    socket.on('error', (err) => entry.errors.push(err))
    connection.attach({
      receive: (text) => { entry.received.push(text); connection.send(`echo:${text}`) },
      socketClosed: (code) => { entry.closedWith = code },
    })
    accepted.push(entry)
    waiters.shift()?.()
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `ws://127.0.0.1:${(app.server.address() as { port: number }).port}/frames`
  let taken = 0
  const next = async (): Promise<Accepted> => {
    if (accepted.length <= taken) {
      await Promise.race([
        new Promise<void>((resolve) => waiters.push(resolve)),
        new Promise((_resolve, reject) => setTimeout(() => reject(new Error('no upgrade accepted in 5 s')), 5000)),
      ])
    }
    return accepted[taken++]
  }
  return { url, accepted, next }
}

async function open (t: Test, url: string, after?: Buffer): Promise<RawWebSocket> {
  const raw = await RawWebSocket.open(url, after)
  t.teardown(() => raw.destroy())
  return raw
}

t.test('messages: whole, several in one write, split a byte at a time, and in the handshake\'s packet', async (t) => {
  const h = await harness(t, { server: { maxPayload: 2 ** 20 } })
  const raw = await open(t, h.url, clientFrame(TEXT, 'in the handshake packet'))
  t.equal(await raw.nextText(), 'echo:in the handshake packet', 'bytes after the upgrade request are the first frame')
  const server = await h.next()
  t.equal(server.socket.protocol, '', 'no subprotocol')

  raw.write(Buffer.concat([clientFrame(TEXT, 'one'), clientFrame(TEXT, 'two'), clientFrame(BINARY, 'three')]))
  t.same([await raw.nextText(), await raw.nextText(), await raw.nextText()], ['echo:one', 'echo:two', 'echo:three'], 'in order; binary arrives as text')

  const fifth = clientFrame(TEXT, 'five', { maskKey: Buffer.alloc(4) })
  raw.write(Buffer.concat([clientFrame(TEXT, 'four'), fifth.subarray(0, 1)]))
  t.equal(await raw.nextText(), 'echo:four', 'a chunk ending one byte into the next frame')
  raw.write(fifth.subarray(1))
  t.equal(await raw.nextText(), 'echo:five', 'the rest completes it; an all-zero mask leaves the payload as sent')

  const long = clientFrame(TEXT, 'x'.repeat(70_000))
  for (let i = 0; i < long.length; i += 997) raw.write(long.subarray(i, i + 997))
  t.equal((await raw.nextText()).length, 5 + 70_000, 'a 64-bit-length frame in 71 pieces')

  const small = clientFrame(TEXT, 'é'.repeat(200))
  for (const byte of small) {
    raw.write(Buffer.from([byte]))
    await new Promise((resolve) => setImmediate(resolve))
  }
  t.equal(await raw.nextText(), `echo:${'é'.repeat(200)}`, 'a frame a byte at a time, a 16-bit length')
  t.equal(server.connection.open, true)
})

t.test('fragmented messages: reassembled, UTF-8 checked whole, control frames answered in between', async (t) => {
  const h = await harness(t)
  const raw = await open(t, h.url)
  const euro = Buffer.from('€') // three bytes, split across fragments
  raw.write(Buffer.concat([
    clientFrame(TEXT, Buffer.concat([Buffer.from('a'), euro.subarray(0, 1)]), { fin: false }),
    clientFrame(PING, 'between'),
    clientFrame(CONTINUATION, euro.subarray(1, 2), { fin: false }),
    clientFrame(CONTINUATION, Buffer.alloc(0), { fin: false }),
    clientFrame(PONG, 'unasked'),
    clientFrame(CONTINUATION, Buffer.concat([euro.subarray(2), Buffer.from('b')])),
  ]))
  const pong = await raw.next()
  t.same({ opcode: pong.opcode, payload: pong.payload.toString() }, { opcode: PONG, payload: 'between' }, 'the ping is answered before the message ends')
  t.equal(await raw.nextText(), 'echo:a€b', 'the fragments as one message')
  raw.write(clientFrame(PING))
  t.same((await raw.next()).opcode, PONG, 'an empty ping gets an empty pong')
})

t.test('every malformed frame closes with ws\'s code and no frame after it is read', async (t) => {
  const h = await harness(t, { server: { maxPayload: 1024 } })
  const cases: Array<[string, Buffer, number]> = [
    ['unmasked', clientFrame(TEXT, 'hi', { mask: false }), 1002],
    ['RSV1 without an extension', clientFrame(TEXT, 'hi', { rsv: 4 }), 1002],
    ['RSV2', clientFrame(TEXT, 'hi', { rsv: 2 }), 1002],
    ['a reserved data opcode', clientFrame(3, 'hi'), 1002],
    ['a reserved control opcode', clientFrame(11, 'hi'), 1002],
    ['a continuation with nothing to continue', clientFrame(CONTINUATION, 'hi'), 1002],
    ['a new message inside a fragmented one', Buffer.concat([clientFrame(TEXT, 'a', { fin: false }), clientFrame(TEXT, 'b')]), 1002],
    ['a fragmented control frame', clientFrame(PING, 'hi', { fin: false }), 1002],
    ['a control frame over 125 bytes', clientFrame(PING, 'p'.repeat(126)), 1002],
    ['a close frame of one byte', clientFrame(CLOSE, Buffer.from([3])), 1002],
    ['a close code no endpoint may send', clientFrame(CLOSE, closePayload(1005)), 1002],
    ['a close code out of range', clientFrame(CLOSE, closePayload(999)), 1002],
    ['a close reason that is not UTF-8', clientFrame(CLOSE, Buffer.concat([closePayload(1000), Buffer.from([0xff])])), 1007],
    ['text that is not UTF-8', clientFrame(TEXT, Buffer.from([0x61, 0xc3])), 1007],
    ['a frame past maxPayload', clientFrame(TEXT, 'x'.repeat(1025)), 1009],
    ['fragments past maxPayload together', Buffer.concat([clientFrame(TEXT, 'x'.repeat(600), { fin: false }), clientFrame(CONTINUATION, 'x'.repeat(600))]), 1009],
    ['a length of 2^60, nothing allocated for it', clientFrame(BINARY, Buffer.alloc(0), { claimedLength: 2 ** 60 }).subarray(0, 14), 1009],
  ]
  for (const [name, bytes, code] of cases) {
    const raw = await open(t, h.url)
    const server = await h.next()
    raw.write(Buffer.concat([bytes, clientFrame(TEXT, 'after')]))
    const close = await raw.nextClose()
    t.equal(close.code, code, `${name}: closed with ${code}`)
    await raw.untilClosed()
    await eventually(() => server.closedWith !== undefined, 5000, `${name}: the session to hear the close`)
    t.same(server.received, [], `${name}: nothing after it was read`)
    t.equal(server.closedWith, 1006, `${name}: the session hears an abnormal close`)
    t.equal(server.errors.length, 1, `${name}: reported once as the socket's error`)
  }
})

t.test('a message in more fragments than ws allows closes with 1008', async (t) => {
  const h = await harness(t)
  const raw = await open(t, h.url)
  const fragment = clientFrame(CONTINUATION, 'x', { fin: false })
  raw.write(Buffer.concat([clientFrame(TEXT, 'x', { fin: false }), ...Array.from({ length: 16 * 1024 }, () => fragment)]))
  t.equal((await raw.nextClose()).code, 1008)
})

t.test('the peer\'s close is echoed with its code and reason, then the socket ends', async (t) => {
  const h = await harness(t)
  const raw = await open(t, h.url)
  const server = await h.next()
  raw.write(clientFrame(CLOSE, closePayload(4001, 'bye now')))
  t.same(await raw.nextClose(), { code: 4001, reason: 'bye now' })
  await eventually(() => raw.ended, 5000, 'the server to end the socket')
  raw.socket.end()
  await raw.untilClosed()
  await eventually(() => server.closedWith !== undefined, 5000, 'the session to hear the close')
  t.equal(server.closedWith, 4001, 'the session hears the peer\'s code')
  t.equal(server.connection.open, false)

  const bare = await open(t, h.url)
  const second = await h.next()
  bare.write(clientFrame(CLOSE))
  t.same(await bare.nextClose(), { code: 1005, reason: '' }, 'a close without a code is answered without one')
  bare.socket.end()
  await eventually(() => second.closedWith !== undefined, 5000, 'the session to hear the close')
  t.equal(second.closedWith, 1005)
})

t.test('the server\'s close: a close frame, the socket ends once answered, destroyed when never answered', async (t) => {
  const h = await harness(t, { server: { closeTimeout: 100 } })
  const raw = await open(t, h.url)
  const server = await h.next()
  t.throws(() => server.socket.close(1005), /invalid close code 1005/, 'a code no endpoint may send is refused (a caller\'s bug)')
  t.throws(() => server.socket.close(1000, 'r'.repeat(124)), /123 bytes/, 'so is a reason past 123 bytes')
  t.equal(server.connection.open, true, 'and the socket stays open')
  server.connection.close(4002, 'going')
  t.same(await raw.nextClose(), { code: 4002, reason: 'going' })
  server.connection.send('after close')
  server.connection.close(4003, 'twice')
  raw.write(clientFrame(CLOSE, closePayload(4002)))
  await raw.untilClosed()
  t.same(raw.frames, [], 'nothing after the close frame, not even a second close')
  await eventually(() => server.closedWith !== undefined, 5000, 'the session to hear the close')
  t.equal(server.closedWith, 4002)

  const silent = await open(t, h.url)
  const ignored = await h.next()
  const started = Date.now()
  ignored.connection.close(1008, 'policy')
  t.equal((await silent.nextClose()).code, 1008)
  await silent.untilClosed()
  t.ok(Date.now() - started >= 90, 'destroyed after closeTimeout, not before')
  await eventually(() => ignored.closedWith !== undefined, 5000, 'the session to hear the close')
  t.equal(ignored.closedWith, 1006, 'no close frame came back: abnormal')
})

t.test('a client that goes away without a close frame is closed with 1006', async (t) => {
  const h = await harness(t)
  const raw = await open(t, h.url)
  const server = await h.next()
  raw.socket.end()
  await raw.untilClosed()
  await eventually(() => server.closedWith !== undefined, 5000, 'the session to hear the close')
  t.equal(server.closedWith, 1006)
  t.equal(server.socket.readyState, 3)
  server.socket.terminate()
  server.socket.close(1000)
  server.socket.pause()
  server.socket.resume()
  t.equal(server.socket.isPaused, false, 'close, terminate, pause and resume on a closed socket do nothing')
})

t.test('frames a paused socket holds are still read when it is destroyed', async (t) => {
  const h = await harness(t)
  const raw = await open(t, h.url)
  const server = await h.next()
  server.connection.pauseReading()
  raw.write(clientFrame(TEXT, 'held'))
  await eventually(() => (server.socket.socket?.readableLength ?? 0) > 0, 5000, 'the frame to wait in the paused socket')
  t.same(server.received, [], 'not read while paused')
  server.socket.terminate()
  await eventually(() => server.closedWith !== undefined, 5000, 'the close')
  t.same(server.received, ['held'], 'read before the close is reported')
})

t.test('a peer that pings without reading its pongs is cut off', async (t) => {
  const h = await harness(t, { server: { sendBufferLimit: 4096 } })
  const raw = await open(t, h.url)
  const server = await h.next()
  raw.socket.pause()
  const ping = clientFrame(PING, 'p'.repeat(125))
  // Far more pongs than loopback's socket buffers hold, so the server's own queue grows.
  const burst = Buffer.concat(Array.from({ length: 1000 }, () => ping))
  // Written as fast as the server reads them: each burst waits for the last one to drain. The
  // server's cut may reach a write as a reset (ECONNRESET, which `once` rejects with): that is
  // the cut-off this test waits for, so it ends the writing.
  for (let i = 0; i < 60 && !raw.closed && !raw.socket.destroyed; i++) {
    if (!raw.socket.write(burst)) await Promise.race([once(raw.socket, 'drain'), once(raw.socket, 'close'), delay(5000)]).catch(() => {})
  }
  await eventually(() => server.closedWith !== undefined, 5000, 'the server to cut the socket')
  t.equal(server.closedWith, 1006, 'terminated, not answered without bound')
})

t.test('send, pause and resume keep ws\'s meaning', async (t) => {
  const h = await harness(t)
  const raw = await open(t, h.url)
  const server = await h.next()
  server.socket.send(Buffer.from('bytes'))
  server.socket.send(Buffer.from('text bytes'), { binary: false })
  server.socket.send('a string')
  const frames = [await raw.next(), await raw.next(), await raw.next()]
  t.same(frames.map((f) => [f.opcode, f.payload.toString(), f.fin, f.masked, f.rsv]), [
    [BINARY, 'bytes', true, false, 0], [TEXT, 'text bytes', true, false, 0], [TEXT, 'a string', true, false, 0],
  ], 'final, unmasked frames of the kind asked for')
  server.socket.pause()
  t.equal(server.socket.isPaused, true)
  raw.write(clientFrame(TEXT, 'later'))
  await eventually(() => (server.socket.socket?.readableLength ?? 0) > 0, 5000, 'the frame to wait')
  server.socket.resume()
  t.equal(await raw.nextText(), 'echo:later', 'read once resumed')
  raw.write(clientFrame(CLOSE, closePayload(1000)))
  await raw.nextClose()
  const done = await new Promise<Error | null | undefined>((resolve) => server.socket.send('too late', undefined, resolve))
  t.match(done, /not open/, 'a send after the close is refused through its callback')
})

t.test('a connection reset is a close with 1006, and the socket error stays the socket\'s', async (t) => {
  const h = await harness(t)
  const raw = await open(t, h.url)
  const server = await h.next()
  // A reset (RST) is an error on the server's read (ECONNRESET), not an end.
  raw.socket.resetAndDestroy()
  await eventually(() => server.closedWith !== undefined, 5000, 'the session to hear the close')
  t.equal(server.closedWith, 1006)
  t.equal(server.connection.open, false)
})

t.test('a header claiming a large frame costs what the peer sent, not what it claims', async (t) => {
  const h = await harness(t, { server: { maxPayload: 2 ** 20 } })
  const claimed = 2 ** 20
  const frame = clientFrame(TEXT, 'x'.repeat(claimed))
  const start = frame.subarray(0, 14 + 100)
  const before = process.memoryUsage().arrayBuffers
  const peers: Array<{ raw: RawWebSocket, server: Accepted }> = []
  for (let i = 0; i < 100; i++) {
    const raw = await open(t, h.url)
    peers.push({ raw, server: await h.next() })
    raw.write(start)
  }
  await eventually(() => peers.every(({ server }) => (server.socket.socket?.bytesRead ?? 0) >= start.length), 5000, 'every server socket to read its start')
  const grown = process.memoryUsage().arrayBuffers - before
  t.ok(grown < 30 * 2 ** 20, `100 frames claiming 1 MiB each hold ${(grown / 2 ** 20).toFixed(1)} MiB, not 100`)
  const { raw } = peers[0]
  const rest = frame.subarray(14 + 100)
  for (let i = 0; i < rest.length; i += 50_000) raw.write(rest.subarray(i, i + 50_000))
  t.equal((await raw.nextText()).length, 5 + claimed, 'the frame completes once the rest comes, its Buffer grown as it came')
})
