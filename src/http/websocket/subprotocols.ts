import { WebSocketServer, type ServerOptions } from 'ws'

/**
 * ws's `handleProtocols`: which of the subprotocols a client offers (`Sec-WebSocket-Protocol`)
 * the server speaks. None of the five endpoints speaks one — syscache, WebRocket, Telegraphy
 * and Really are plain JSON over WebSocket (docs/protocols: §1.2, §2.2–2.3, §3.2, §4.2) and
 * Engine.IO (DAS, §5.2) frames its own packets — so none is ever chosen. Left to itself ws
 * would echo the first one offered, telling the client the server speaks something it does
 * not; answered without the header, a client that requires its subprotocol fails the
 * handshake itself (RFC 6455 §4.1) and one that merely offered it carries on.
 */
export function chooseNoSubprotocol (): false {
  return false
}

/**
 * Engine.IO builds its own WebSocket server from its `wsEngine` option (the ws class by
 * default), with options of its choosing: this subclass adds `handleProtocols` to them.
 */
export class NoSubprotocolWebSocketServer extends WebSocketServer {
  constructor (options: ServerOptions, callback?: () => void) {
    super({ ...options, handleProtocols: chooseNoSubprotocol }, callback)
  }
}
