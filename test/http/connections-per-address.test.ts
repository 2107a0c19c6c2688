import { io, type Socket } from 'socket.io-client'
import t from 'tap'
import { startApp } from '../helpers/app.js'
import { eventually, WsClient } from '../helpers/ws-client.js'

const LIMIT = { server: { maxConnectionsPerAddress: 3 } }

async function refusedStatus (url: string): Promise<number> {
  try {
    (await WsClient.connect(url)).close()
    return 0
  } catch (err) {
    return (err as { statusCode: number }).statusCode
  }
}

// A Socket.IO client on /das; resolves once connected, rejects with the server's refusal.
function das (base: string, transport: 'websocket' | 'polling'): Promise<Socket> {
  const socket = io(`${base}/das`, { transports: [transport], reconnection: false, forceNew: true, timeout: 5000 })
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket))
    socket.once('connect_error', (err) => { socket.close(); reject(err) })
  })
}

t.test('server.maxConnectionsPerAddress: the N+1st upgrade from one address is refused (429) until one closes', async (t) => {
  const { url, wsUrl, app } = await startApp(t, LIMIT)
  const held = [
    await WsClient.connect(`${wsUrl}/webrocket/echo`),
    await WsClient.connect(`${wsUrl}/v0.1/socket`),
    await WsClient.connect(`${wsUrl}/telegraphy`),
  ]
  t.teardown(() => held.forEach((c) => c.close()))
  t.equal(await refusedStatus(`${wsUrl}/syscache`), 429, 'every protocol counts toward the one limit')
  await t.rejects(das(url, 'polling'), { message: 'xhr poll error', description: 403 } as unknown as Error, 'Socket.IO too (engine.io refuses with 403)')
  await t.rejects(das(url, 'websocket'), 'Socket.IO over WebSocket too (the client is not told why)')
  t.equal(await refusedStatus(`${wsUrl}/webrocket/nope`), 429, 'refused before the vhost lookup')
  held.pop()!.close()
  await eventually(() => app.services.connections.heldBy('127.0.0.1') === 2, 5000, 'the slot to come back')
  const again = await WsClient.connect(`${wsUrl}/syscache`)
  t.teardown(() => again.close())
  t.equal(app.services.connections.heldBy('127.0.0.1'), 3, 'admitted again after a close: the freed slot taken')
  t.equal(await refusedStatus(`${wsUrl}/syscache`), 429)
})

t.test('a refused or failed upgrade gives its slot back', async (t) => {
  const { wsUrl, app } = await startApp(t, LIMIT)
  for (let i = 0; i < 5; i++) t.equal(await refusedStatus(`${wsUrl}/webrocket/nope`), 404)
  await eventually(() => app.services.connections.heldBy('127.0.0.1') === 0, 5000, 'the slots to come back')
  t.equal(app.services.connections.heldBy('127.0.0.1'), 0, 'five 404 upgrades left no slot taken')
})

t.test('Socket.IO sessions count too, over WebSocket and long-polling, and give their slot back on close', async (t) => {
  const { url, wsUrl, app } = await startApp(t, LIMIT)
  const sockets = [await das(url, 'websocket'), await das(url, 'polling'), await das(url, 'polling')]
  t.teardown(() => sockets.forEach((s) => s.close()))
  await t.rejects(das(url, 'polling'), { message: 'xhr poll error', description: 403 } as unknown as Error)
  t.equal(await refusedStatus(`${wsUrl}/v0.1/socket`), 429, 'and count toward the WebSocket protocols')
  sockets.shift()!.close()
  sockets.shift()!.close()
  await eventually(() => app.services.connections.heldBy('127.0.0.1') === 1, 5000, 'the slots to come back')
  sockets.push(await das(url, 'websocket'), await das(url, 'polling'))
  t.equal(app.services.connections.heldBy('127.0.0.1'), 3, 'admitted again after closes')
})

t.test('0 turns the limit off; the default is 1000', async (t) => {
  const { app } = await startApp(t)
  t.equal(app.services.config.server.maxConnectionsPerAddress, 1000)
  const unlimited = await startApp(t, { server: { maxConnectionsPerAddress: 0 } })
  const many = await Promise.all(Array.from({ length: 5 }, () => WsClient.connect(`${unlimited.wsUrl}/telegraphy`)))
  t.teardown(() => many.forEach((c) => c.close()))
  await eventually(() => unlimited.app.services.connections.size === 5, 2000, 'five registered')
  t.equal(unlimited.app.services.connections.size, 5, 'no limit: five connections from one address, all open')
})
