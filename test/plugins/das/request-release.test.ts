import type { IncomingMessage } from 'node:http'
import t from 'tap'
import { startApp } from '../../helpers/app.js'
import { heapAfterGc } from '../../hostile/socket-fuzz.js'
import { eventually } from '../../helpers/ws-client.js'
import { dasOverrides, openClient, type ClientVersion } from './das-client.js'

// engine.io keeps the request that opened a connection (`conn.request`) and, for a WebSocket
// upgrade, a response whose TCP socket listener holds the upgrade request, both for the
// connection's life: about 2 KiB of an idle DAS connection (engine-adapter.ts releaseRequest,
// forgetUpgradeRequest). Every request engine.io answered for a connection must be collectable
// once the connection is open and idle, and the handshake of the DAS namespace unchanged.

const cases: Array<{ version: ClientVersion, transports: string[] }> = [
  { version: 4, transports: ['websocket'] },
  { version: 4, transports: ['polling', 'websocket'] },
  { version: 2, transports: ['websocket'] },
  { version: 2, transports: ['polling', 'websocket'] },
]

for (const { version, transports } of cases) {
  t.test(`socket.io-client ${version}.x over ${transports.join(' then ')}: no request held by an idle connection`, async (t) => {
    const { app, url } = await startApp(t, dasOverrides({ authWindow: 0 }))
    // Every request engine.io answers comes with its response headers (handshake, polls, upgrade).
    const seen: Array<WeakRef<IncomingMessage>> = []
    const remember = (_headers: unknown, req: IncomingMessage) => { seen.push(new WeakRef(req)) }
    app.das.io.engine.on('initial_headers', remember)
    app.das.io.engine.on('headers', remember)
    await openClient(t, url, { version, transports, extraHeaders: { 'x-probe': 'kept' } })
    await eventually(() => app.das.sessions.size === 1 && [...app.das.io.of('/das').sockets.values()].every((socket) => socket.conn.transport.name === 'websocket'), 2000, 'on the WebSocket transport')
    t.ok(seen.length > 0, `${seen.length} requests seen`)

    heapAfterGc()
    t.same(seen.filter((ref) => ref.deref() !== undefined).map((ref) => ref.deref()!.url), [], 'every one collected while the connection stays')
    t.equal(app.das.sessions.size, 1, 'the connection is still there')

    // The DAS socket's handshake, built from what the connection kept.
    const socket = [...app.das.io.of('/das').sockets.values()][0]!
    t.equal(socket.handshake.headers['x-probe'], 'kept', 'its headers')
    t.match(socket.handshake.url, /^\/socket\.io\/\?EIO=[34]&transport=/, 'its url')
    t.equal(socket.handshake.query.EIO, version === 4 ? '4' : '3', 'its query')
    t.equal(socket.handshake.secure, false, 'not TLS')
    t.equal(socket.handshake.address, '127.0.0.1')
  })
}
