import { once } from 'node:events'
import t from 'tap'
import { WebSocket } from 'ws'
import { buildApp } from '../../src/app.js'
import { acceptWebSocket } from '../../src/http/websocket/accept.js'
import { GatewayWebSocket } from '../../src/http/websocket/gateway-websocket.js'
import type { WsConnection } from '../../src/http/websocket/ws-connection.js'
import { testConfig } from '../helpers/config.js'

t.test('accepted sockets are GatewayWebSockets: they hold their connection, keep none of ws\'s per-socket objects, and answer pings', async (t) => {
  const app = await buildApp(testConfig(), { logger: false })
  t.teardown(() => app.close())
  const accepted: Array<{ socket: WebSocket, connection: WsConnection }> = []
  app.get('/gateway-test', { websocket: true }, (socket: WebSocket, request) => {
    accepted.push({ socket, connection: acceptWebSocket(socket, request, 'test', app.services) })
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const client = new WebSocket(`ws://127.0.0.1:${(app.server.address() as { port: number }).port}/gateway-test`)
  t.teardown(() => client.terminate())
  await once(client, 'open')
  const { socket, connection } = accepted[0]
  t.ok(socket instanceof GatewayWebSocket, 'ws built the gateway\'s class')
  t.equal((socket as unknown as GatewayWebSocket).connection, connection, 'the socket holds its connection')
  t.notOk('_receiver' in socket || '_sender' in socket, 'no ws Receiver or Sender per socket')

  // Pings answered one at a time, each with its own payload (ws's client checks the pong it gets).
  const pings = 200
  for (let i = 0; i < pings; i++) {
    const answer = Promise.race([
      once(client, 'pong').then(([data]) => String(data)),
      once(client, 'close').then(() => 'closed'),
    ])
    client.ping(String(i))
    const got = await answer
    if (got !== String(i)) return t.fail(`ping ${i} got ${got}`)
  }
  t.equal(client.readyState, WebSocket.OPEN, `${pings} pings answered one after another, in order, the connection still open`)
  t.equal(connection.open, true)
})

t.test('before ws hands it a socket, a GatewayWebSocket refuses a send and ignores the rest, as ws does', async (t) => {
  const socket = new GatewayWebSocket(null, undefined, { maxPayload: 0, maxFragments: 0, closeTimeout: 10, sendBufferLimit: 0 })
  t.equal(socket.readyState, 0, 'connecting')
  t.equal(socket.bufferedAmount, 0)
  t.throws(() => socket.send('early'), /CONNECTING/)
  socket.writeFrame(Buffer.from('early'))
  socket.close(1000)
  socket.pause()
  socket.resume()
  socket.terminate()
  t.equal(socket.readyState, 0, 'nothing to write to, close, pause or end')
  t.equal(socket.isPaused, false)
})
