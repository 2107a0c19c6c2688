import { ConnectionTraffic, type Connection, type Frame, type Principal } from '../../../src/core/connection.js'
import type { Revocable, RevocationCause } from '../../../src/core/revocation/revocable.js'

let next = 0

/** A Connection with no transport: records what the core does to it. */
export class FakeConnection implements Connection {
  readonly id = `fake-${++next}`
  readonly connectedAt = Date.now()
  principal: Principal | null = null
  readonly traffic = new ConnectionTraffic()
  open = true
  readonly sent: Frame[] = []
  closedWith: [number, string | undefined] | null = null

  constructor (readonly protocol = 'test', readonly remoteAddress = '10.0.0.1') {}

  send (frame: Frame): void { this.sent.push(frame) }
  close (code: number, reason?: string): void {
    this.open = false
    this.closedWith = [code, reason]
  }

  pauseReading (): void {}
  resumeReading (): void {}
}

/** A session-like Revocable that records every revocation it is told about. */
export class FakeSession implements Revocable {
  readonly causes: RevocationCause[] = []
  constructor (public revocationToken: string | null = null, private readonly onRevoked: () => void = () => {}) {}
  revoked (cause: RevocationCause): void {
    this.causes.push(cause)
    this.onRevoked()
  }
}

export const user = (username: string): Principal => ({ kind: 'user', username, admin: false })
