import { ConnectionTraffic, type Connection, type Frame, type Principal } from '../../src/core/connection.js'
import type { DasSession } from './session.js'

/**
 * WebSocket close codes that tell a client to come back (RFC 6455 §7.4.1 and the IANA registry):
 * going away (graceful shutdown), service restart, try again later.
 */
const COME_BACK_CODES = new Set([1001, 1012, 1013])

/**
 * A DAS socket as the core sees it, so it is counted in /health and closed by graceful
 * shutdown (`services.connections.closeAll`) like every WebSocket. Socket.IO has no close
 * codes: closing drops the whole Engine.IO connection, in the way the code means — for a code
 * that asks the client to come back (shutdown's 1001) the transport just closes and socket.io
 * clients reconnect; for any other, the namespace is disconnected and they stay away.
 */
export class DasConnection implements Connection {
  readonly protocol = 'das'
  readonly connectedAt = Date.now()
  /** Counted at the Engine.IO connection (plugins/das/index.ts): every packet, replies included. */
  readonly traffic = new ConnectionTraffic()

  constructor (private readonly session: DasSession, readonly remoteAddress: string, private readonly unread: () => number = () => 0) {}

  /** Bytes the Engine.IO connection holds for its client (the admission control sums them). */
  get unreadBytes (): number {
    return this.unread()
  }

  get id (): string {
    return this.session.id
  }

  /** Set by the core registry when the socket first authenticates (`services.connections.authenticated`). */
  principal: Principal | null = null

  get open (): boolean {
    return !this.session.closed
  }

  /** Socket.IO's plain `message` event; the DAS protocol itself never sends raw frames. */
  send (frame: Frame): void {
    if (!this.session.closed) this.session.socket.emit('message', typeof frame === 'string' ? frame : frame.toString('utf8'))
  }

  /** Socket.IO has no read pausing; DAS clients send only small filter messages (§5.3). */
  pauseReading (): void {}

  resumeReading (): void {}

  close (code: number, reason = 'closed'): void {
    if (COME_BACK_CODES.has(code)) this.session.goAway(reason)
    else this.session.close(reason)
  }
}
