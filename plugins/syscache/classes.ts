import type { Authorizer } from '../../src/core/access/authorizer.js'
import type { Backend, BackendRequest } from '../../src/core/backend/backend.js'
import type { ErrorCode } from './frames.js'
import { checkClassArgs } from './messages.js'
import { SYSTEM_MANAGER, systemManager } from './system-manager.js'

export type ClassOutcome = { ok: true, args: unknown } | { ok: false, code: ErrorCode }

export interface Caller {
  username: string
  /** `admin: true` users have full access (upstream: wheel), the others are limited (operator). */
  admin: boolean
  connectionId: string
}

/** What the backend receives: the core request plus the caller's access level (README, "Backend"). */
type SyscacheBackendRequest = BackendRequest & { fullAccess: boolean }

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * `sysadm/<class>` and non-built-in `rpc/*` requests (spec §1.4 #7–#10): access checks
 * (`fullAccessOnly`, then the access rules), the built-in systemmanager, else the configured
 * backend (design.md §2, Backend).
 */
export class ClassRouter {
  readonly #wholeClass: Set<string>
  readonly #actions: Set<string>

  constructor (
    private readonly backend: Backend,
    fullAccessOnly: readonly string[],
    private readonly access: Pick<Authorizer, 'authorize'>,
    private readonly onBackendFailure: (name: string, reason: string) => void,
  ) {
    // "ns/name" restricts the whole class, "ns/name/action" one action (spec §1.7 last bullet).
    this.#wholeClass = new Set(fullAccessOnly.filter((e) => e.split('/').length === 2))
    this.#actions = new Set(fullAccessOnly.filter((e) => e.split('/').length === 3))
  }

  #forbidden (qualified: string, action: string | undefined): boolean {
    return this.#wholeClass.has(qualified) || (action !== undefined && this.#actions.has(`${qualified}/${action}`))
  }

  /** README "Authorization": calling the class `namespace/name` is publishing to it. */
  #mayCall (qualified: string, caller: Caller): boolean | Promise<boolean> {
    const principal = { kind: 'user' as const, username: caller.username, admin: caller.admin }
    return this.access.authorize({ protocol: 'syscache', action: 'publish', resource: qualified, principal, connectionId: caller.connectionId })
  }

  async call (namespace: string, name: string, args: unknown, caller: Caller): Promise<ClassOutcome> {
    const qualified = `${namespace}/${name}`
    // sysadm classes need an object with an action (§1.4 #10); rpc/* args are class-specific.
    if (namespace === 'sysadm' && !checkClassArgs.Check(args)) return { ok: false, code: 400 }
    const action = isPlainObject(args) && typeof args.action === 'string' ? args.action : undefined
    if (!caller.admin && this.#forbidden(qualified, action)) return { ok: false, code: 403 }
    if (!await this.#mayCall(qualified, caller)) return { ok: false, code: 403 }
    if (qualified === SYSTEM_MANAGER) {
      const result = systemManager(action as string)
      if (result) return { ok: true, args: result }
      // Other systemmanager actions go to the backend when there is one; else they are bad requests.
      if (!this.backend.configured) return { ok: false, code: 400 }
    }
    const reply = await this.#forward(qualified, args, caller)
    switch (reply.kind) {
      case 'ok': return { ok: true, args: reply.result }
      case 'refused': return { ok: false, code: 403 }
      // Any other 4xx reaches the client with its own code (issue 16: a backend 400 is a 400).
      case 'rejected': return { ok: false, code: reply.status }
      case 'failed':
        this.onBackendFailure(qualified, reply.reason)
        return { ok: false, code: 500 }
      default: return { ok: false, code: 404 } // unknown to the backend, or no backend (design.md §2)
    }
  }

  /**
   * `rpc/query` (§1.4 #6): `"<namespace>/<name>" → "read" | "read/write"` for what this caller
   * may call: the built-in class, merged with the backend's answer to `rpc/query` when it gives
   * one, without the classes `fullAccessOnly` or the access rules keep from it.
   */
  async query (args: unknown, caller: Caller): Promise<Record<string, string>> {
    const available: Record<string, string> = {}
    if (this.backend.configured) {
      const reply = await this.#forward('rpc/query', args, caller)
      if (reply.kind === 'ok' && isPlainObject(reply.result)) {
        for (const [key, value] of Object.entries(reply.result)) if (typeof value === 'string') available[key] = value
      } else if (reply.kind === 'failed') {
        this.onBackendFailure('rpc/query', reply.reason)
      }
    }
    available[SYSTEM_MANAGER] = 'read'
    if (!caller.admin) {
      for (const key of Object.keys(available)) {
        if (this.#wholeClass.has(key)) delete available[key]
        else if ([...this.#actions].some((entry) => entry.startsWith(`${key}/`))) available[key] = 'read'
      }
    }
    const keys = Object.keys(available)
    const allowed = await Promise.all(keys.map((key) => this.#mayCall(key, caller)))
    keys.forEach((key, i) => { if (!allowed[i]) delete available[key] })
    return available
  }

  #forward (qualified: string, args: unknown, caller: Caller) {
    const request: SyscacheBackendRequest = {
      protocol: 'syscache',
      name: qualified,
      data: args,
      user: caller.username,
      connectionId: caller.connectionId,
      fullAccess: caller.admin,
    }
    return this.backend.call(request)
  }
}
