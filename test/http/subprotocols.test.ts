import type { IncomingMessage } from 'node:http'
import t from 'tap'
import { WebSocket } from 'ws'
import { startApp } from '../helpers/app.js'
import { DEFAULT_WAIT } from '../helpers/ws-client.js'

/**
 * Opens `url` offering `protocols`: the upgrade response's headers, and how the client ended
 * (`open`, or the error it raised).
 */
function offer (url: string, protocols: string[]): Promise<{ headers: IncomingMessage['headers'], outcome: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols)
    let headers: IncomingMessage['headers'] = {}
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`no handshake on ${url}`)) }, DEFAULT_WAIT)
    const done = (outcome: string) => { clearTimeout(timer); ws.terminate(); resolve({ headers, outcome }) }
    ws.once('upgrade', (response) => { headers = response.headers })
    ws.once('open', () => done('open'))
    ws.once('error', (err) => done(err.message))
    ws.once('unexpected-response', (_request, response) => done(`HTTP ${response.statusCode}`))
  })
}

// docs/protocols: no endpoint speaks a subprotocol (plain JSON over WebSocket, §1.2, §2.2, §3.2,
// §4.2; Engine.IO for DAS, §5.2), so none is ever answered, whatever the client offers.
const ENDPOINTS = ['/syscache', '/webrocket/echo', '/telegraphy', '/v0.1/socket', '/socket.io/?EIO=4&transport=websocket', '/socket.io/?EIO=3&transport=websocket']

t.test('an offered subprotocol is never echoed, on any endpoint', async (t) => {
  const { wsUrl } = await startApp(t)
  for (const path of ENDPOINTS) {
    const bogus = await offer(wsUrl + path, ['bogus'])
    t.equal(bogus.headers['sec-websocket-protocol'], undefined, `${path}: no Sec-WebSocket-Protocol`)
    t.equal(bogus.outcome, 'Server sent no subprotocol', `${path}: a client that required it gives up (RFC 6455 §4.1)`)
    const several = await offer(wsUrl + path, ['wamp', 'graphql-ws'])
    t.equal(several.headers['sec-websocket-protocol'], undefined, `${path}: none of several either`)
    t.equal((await offer(wsUrl + path, [])).outcome, 'open', `${path}: offering none still opens`)
  }
})
