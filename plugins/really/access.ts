import { canonicalResource, type AccessAction } from '../../src/core/access/vocabulary.js'
import type { Connection } from '../../src/core/connection.js'
import type { ReallyContext } from './context.js'
import { Errors, ReallyError } from './errors.js'
import type { R } from './resource-path.js'
import type { UserInfo } from './tokens.js'

/** Who runs a command: the token's UserInfo (for `opBy`) and the connection the authorizer knows. */
export interface Caller {
  readonly user: UserInfo
  /** Its `principal` was set at `initialize` (ConnectionRegistry.authenticated). */
  readonly connection: Connection
}

/** The username a caller's new objects are owned by; anonymous callers own nothing. */
export function ownerName (caller: Caller): string | null {
  const { principal } = caller.connection
  return principal?.kind === 'user' ? principal.username : null
}

/**
 * Whether `caller` may do `action` on the normalised R `r` (README "Authorization"): the resource
 * is the R without its trailing slash (`/notes/12`, `/notes/*`), as rules and the authorize hook
 * see it; `owner` the object's creator for the `owner` subject. Synchronous but for the hook.
 */
export function isAllowed (ctx: ReallyContext, connection: Connection, action: AccessAction, r: string, owner?: string | null): boolean | Promise<boolean> {
  const resource = canonicalResource('really', r)
  return ctx.services.access.authorize({ protocol: 'really', action, resource, principal: connection.principal, owner, connectionId: connection.id })
}

/** Throws Really's 403 `forbidden` with the R when the authorizer denies the attempt. */
export async function requireAllowed (ctx: ReallyContext, caller: Caller, action: AccessAction, r: string, owner?: string | null): Promise<void> {
  if (!await isAllowed(ctx, caller.connection, action, r, owner)) throw new ReallyError(Errors.forbidden(), r)
}

/**
 * Whether a decision can depend on an object's owner: only when rules or a hook are configured
 * for Really. Otherwise every attempt is allowed whoever owns what, and reading the owner would
 * be a wasted query on every update, delete and subscribe.
 */
export const ownerMatters = (ctx: ReallyContext): boolean => ctx.services.access.restricted('really')

/** The owner of the object at `r` as the authorizer needs it: null when it does not matter or there is none. */
export async function ownerOf (ctx: ReallyContext, r: R): Promise<string | null> {
  return ownerMatters(ctx) ? (await ctx.store.find(r))?.owner ?? null : null
}
