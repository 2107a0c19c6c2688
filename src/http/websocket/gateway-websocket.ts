import type { WebsocketPluginOptions } from '@fastify/websocket'
import { WebSocket } from 'ws'
import type { WsConnection } from './ws-connection.js'

/**
 * The class `ws` builds for every upgrade the gateway accepts (its `WebSocket` server option,
 * src/app.ts). Idle sockets are what a gateway holds most of (issue 21's memory target):
 *
 * - the connection a socket belongs to is a field declared here, part of the object from the
 *   start, where a property added later would be stored beside it;
 * - ws gives every socket a closure for its automatic pong replies (`_autoPongComplete`, about
 *   100 bytes with its context) that only a ping ever calls. Here it is an accessor on the
 *   prototype: ws's assignment is ignored and a ping gets the same one-line callback, made then.
 *
 * This file is the only one that knows that ws name; with a ws that no longer uses it, nothing
 * changes but the saving (test/http/gateway-websocket.test.ts checks both that pongs still work
 * and that sockets hold no such closure).
 */
export class GatewayWebSocket extends WebSocket {
  /** Set by acceptWebSocket once the upgrade is accepted. */
  connection: WsConnection | null = null
}

/**
 * The class as ws's server option takes it: ws's types describe the option as its own class with
 * its statics (createWebSocketStream…), which a subclass inherits at run time but not in the types.
 */
export const gatewayWebSocketClass = GatewayWebSocket as unknown as NonNullable<WebsocketPluginOptions['options']>['WebSocket']

interface AutoPongCounter { _pendingAutoPongs: number }

Object.defineProperty(GatewayWebSocket.prototype, '_autoPongComplete', {
  get (this: AutoPongCounter) {
    return () => { this._pendingAutoPongs-- }
  },
  set () {},
})
