import { once } from 'node:events'
import t from 'tap'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import { serverFrames } from './server-frames.js'
import { WsClient } from './ws-client.js'

// Run in a child process by test/server-frames.test.ts: a test whose syscache client receives the
// frame in FRAME and passes whatever it is. It must fail when the frame is not a syscache frame.

t.test('a syscache client receives one frame', async (t) => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  // The failure may end the test before the client's own teardown is registered: the server's ends it.
  t.teardown(() => {
    for (const ws of server.clients) ws.terminate()
    server.close()
  })
  await once(server, 'listening')
  server.on('connection', (ws) => ws.send(process.env.FRAME ?? ''))
  const { port } = server.address() as AddressInfo
  const client = await WsClient.connect(`ws://127.0.0.1:${port}`, {}, serverFrames('syscache'))
  t.teardown(() => client.close())
  t.ok(await client.next(), 'the frame arrived')
})
