import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { ConnectionRegistry } from '../connection-registry.js'
import type { Hub, Subscriber } from '../hub/hub.js'
import type { HubMessage } from '../hub/message.js'
import type { Tokens } from '../tokens/tokens.js'
import type { RevocationCause } from './revocable.js'

/** Hub topic announcing every revocation, so each node reaches its own connections. */
export const REVOCATIONS_TOPIC = 'core:revocations'

const Notice = Type.Object({
  username: Type.String(),
  cause: Type.Union([Type.Literal('user-revoked'), Type.Literal('token-revoked'), Type.Literal('password-changed')]),
  /** With `token-revoked`: the token as the holders name it (Revocable.revocationToken). */
  token: Type.Optional(Type.String()),
})
type Notice = Static<typeof Notice>
const checkNotice = TypeCompiler.Compile(Notice)

/**
 * Revocation for the whole cluster, in one place: the tokens are revoked in the shared store,
 * then a notice on `REVOCATIONS_TOPIC` reaches every node, where the connection registry applies
 * each affected connection's own policy. The only subscriber of that topic.
 */
export class Revocations implements Subscriber {
  constructor (
    private readonly hub: Hub,
    private readonly tokens: Tokens,
    private readonly connections: ConnectionRegistry,
    private readonly onInvalid: (data: unknown) => void,
  ) {}

  start (): Promise<void> {
    return this.hub.subscribe(REVOCATIONS_TOPIC, this)
  }

  stop (): Promise<void> {
    return this.hub.unsubscribe(REVOCATIONS_TOPIC, this)
  }

  /**
   * Every token of `username` issued until now stops working, and its connections on every node
   * get their protocol's revocation: the user was removed or disabled, or its password changed.
   */
  async revokeUser (username: string, cause: Exclude<RevocationCause, 'token-revoked'> = 'user-revoked'): Promise<void> {
    await this.tokens.revokeUser(username)
    await this.#announce({ username, cause })
  }

  /**
   * RFC 7009 for the core's tokens (`Tokens.revoke`); a revoked access token also ends the
   * connections that authenticated with it, on every node.
   */
  async revokeToken (token: string): Promise<void> {
    const access = await this.tokens.revoke(token)
    if (access) await this.tokenRevoked(access.username, access.jti)
  }

  /** A protocol revoked a token of its own (it did so in the store): its connections end everywhere. */
  tokenRevoked (username: string, token: string): Promise<void> {
    return this.#announce({ username, cause: 'token-revoked', token })
  }

  deliver (message: HubMessage): void {
    const notice = message.data
    // Notices come from our own nodes; a malformed one (mixed versions) is reported, not applied.
    if (!checkNotice.Check(notice)) return this.onInvalid(notice)
    if (notice.token !== undefined) this.connections.revokeToken(notice.username, notice.token)
    else this.connections.revokeUser(notice.username, notice.cause)
  }

  #announce (notice: Notice): Promise<void> {
    return this.hub.publish(REVOCATIONS_TOPIC, notice)
  }
}
