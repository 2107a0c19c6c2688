import type { AccessConfig } from '../../config/schema.js'
import type { Principal } from '../connection.js'
import { AuthorizeHook, type HookQuestion } from './authorize-hook.js'
import { ChannelClaims } from './channel-claims.js'
import type { RoleDirectory } from './role-directory.js'
import { compileRules, type ProtocolRules } from './rules.js'
import type { Asker } from './subjects.js'
import { ACCESS_PROTOCOLS, canonicalResource, type AccessAction, type AccessProtocol } from './vocabulary.js'

/** One thing a connection tries to do: the one question a plugin asks per action. */
export interface Attempt {
  protocol: AccessProtocol
  action: AccessAction
  /**
   * The resource in the protocol's own names (README "Authorization"): WebRocket `/vhost/channel`
   * (`/echo/hello`), a Telegraphy event name, a Really R path (object or collection, trailing
   * slash optional), a DAS event type or subject group, a syscache `namespace/name`.
   */
  resource: string
  /** Who asks: a user (with its token's narrowing claims), an anonymous one, or null (not authenticated: anonymous). */
  principal: Principal | null
  /** Really: the username that created the object, for the `owner` subject; none on create. */
  owner?: string | null
  connectionId: string
}

/** Allowed or not; a promise only when the authorize hook has to be asked. */
export type Decision = boolean | Promise<boolean>

export interface AuthorizerOptions {
  access: AccessConfig
  roles: RoleDirectory
  /** Asked what no rule decided, instead of the protocol's default (`access.authorizeUrl`). */
  hook: AuthorizeHook | null
}

const ANONYMOUS: Asker = Object.freeze({ username: null, roles: Object.freeze([]) })

/**
 * The one authorizer of every protocol (issue 16). An attempt is decided in this order:
 * 1. a narrowed token's `channels` claim: a resource outside all of its globs is denied;
 * 2. the first rule of `access.rules` whose protocol, action and resource glob match it decides:
 *    allowed exactly when one of its subjects admits the asker;
 * 3. no rule matched: the authorize hook decides when configured, else the protocol's default.
 * Rules are compiled once, every step but the hook is synchronous and in memory (roles come
 * from the RoleDirectory), and a protocol with no rules, an `allow` default and no hook is
 * allowed at once: fan-out pays nothing for what it does not use.
 */
export class Authorizer {
  readonly #rules: Record<AccessProtocol, ProtocolRules>
  readonly #open: Record<AccessProtocol, boolean>
  readonly #claims = new ChannelClaims()
  readonly #roles: RoleDirectory
  readonly #hook: AuthorizeHook | null

  constructor ({ access, roles, hook }: AuthorizerOptions) {
    this.#rules = compileRules(access)
    this.#roles = roles
    this.#hook = hook
    this.#open = Object.fromEntries(ACCESS_PROTOCOLS.map((p) => [p,
      hook === null && this.#rules[p].rules.length === 0 && this.#rules[p].allowByDefault])) as Record<AccessProtocol, boolean>
  }

  /**
   * False when every attempt on `protocol` is allowed whoever makes it (no rule, an `allow`
   * default, no hook) — except that a narrowed token is still held to its `channels`. A plugin
   * may skip asking per delivered event when this is false and its principal has no `channels`.
   */
  restricted (protocol: AccessProtocol): boolean {
    return !this.#open[protocol]
  }

  /** Whether the attempt is allowed. Synchronous unless the hook is asked; a hook failure denies. */
  authorize (attempt: Attempt): Decision {
    const { protocol, principal } = attempt
    const channels = principal?.kind === 'user' ? principal.channels : undefined
    if (this.#open[protocol] && channels === undefined) return true
    const resource = canonicalResource(protocol, attempt.resource)
    if (channels !== undefined && !this.#claims.admit(protocol, resource, channels)) return false
    const rules = this.#rules[protocol]
    const rule = rules.firstMatch(attempt.action, resource)
    if (rule === null && this.#hook === null) return rules.allowByDefault
    const asker = this.#askerOf(principal, attempt.owner)
    if (rule !== null) return rule.admits(asker)
    const question: HookQuestion = {
      protocol, action: attempt.action, resource: attempt.resource, user: asker.username, roles: asker.roles, connectionId: attempt.connectionId,
    }
    const key = AuthorizeHook.keyOf(question)
    return this.#hook!.cached(key) ?? this.#hook!.ask(question, key)
  }

  /** The roles in force for a principal: the user's, narrowed by its token's `roles` claim. */
  rolesOf (principal: Principal | null): readonly string[] {
    if (principal?.kind !== 'user') return ANONYMOUS.roles
    const roles = this.#roles.rolesOf(principal.username)
    const claimed = principal.roles
    return claimed === undefined ? roles : roles.filter((role) => claimed.includes(role))
  }

  /**
   * Called with a username when its roles changed (from any node): plugins re-check what that
   * user's connections were allowed before (subscriptions), so a removed role stops counting.
   */
  onRolesChanged (listener: (username: string) => void): void {
    this.#roles.onChange(listener)
  }

  #askerOf (principal: Principal | null, owner: string | null | undefined): Asker {
    if (principal?.kind !== 'user') return ANONYMOUS
    return { username: principal.username, roles: this.rolesOf(principal), owner }
  }
}
