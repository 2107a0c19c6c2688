import { ConnectionTraffic, type Connection, type Frame, type Principal } from '../../src/core/connection.js'
import type { DasSession } from './session.js'

/**
 * A DAS socket as the core sees it, so it is counted in /health and closed by graceful
 * shutdown (`services.connections.closeAll`) like every WebSocket. Socket.IO has no close
 * codes: closing drops the whole Engine.IO connection.
 */
export class DasConnection implements Connection {
  readonly protocol = 'das'
  readonly connectedAt = Date.now()
  /** Counted at the Engine.IO connection (plugins/das/index.ts): every packet, replies included. */
  readonly traffic = new ConnectionTraffic()

  constructor (private readonly session: DasSession, readonly remoteAddress: string) {}

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

  close (_code: number, reason = 'closed'): void {
    this.session.close(reason)
  }
}
