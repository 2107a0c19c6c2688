import type { Decision } from '../../src/core/access/authorizer.js'

/** Decisions one socket keeps at most; past it they are dropped and asked again (subject groups are open-ended). */
export const MAX_DECISIONS = 1024

/** The resource of a subject group: `subject_group.<name>`, apart from the event types (README "Authorization"). */
export const groupResource = (group: string): string => `subject_group.${group}`

/** Known (true / false), or a promise that settles once every question asked for it is answered. */
export type GateVerdict = boolean | Promise<void>

/**
 * What one authenticated socket may receive (README "Authorization"): a DAS socket subscribes to
 * everything by authenticating, so each delivery's resources — its event type, and the subject
 * groups it names — are asked about as they first come, once per socket, and remembered until its
 * user's roles change (`reset`). Only a socket whose deliveries need asking has a gate: with no
 * rule, an `allow` default, no hook and no `channels` claim, fan-out pays nothing.
 */
export class ReceiveGate {
  readonly #decisions = new Map<string, boolean | Promise<boolean>>()

  /** `ask`: the authorizer's `subscribe` question for one resource, as this socket's principal. */
  constructor (private readonly ask: (resource: string) => Decision) {}

  /**
   * Whether a delivery of `type` may reach the socket: the type allowed and, when it names
   * subject groups, one of them allowed (a subject is seen through any of its groups). A promise
   * when the authorize hook is being asked: the caller decides again once it settles.
   */
  admits (type: string, groups: readonly string[] | undefined): GateVerdict {
    const byType = this.#decide(type)
    if (byType === false) return false
    if (groups === undefined || groups.length === 0) return byType === true ? true : byType.then(settled)
    const pending: Array<Promise<boolean>> = byType === true ? [] : [byType]
    let anyGroup = false
    let groupsPending = false
    for (const group of groups) {
      const byGroup = this.#decide(groupResource(group))
      if (byGroup === true) anyGroup = true
      else if (byGroup !== false) {
        groupsPending = true
        pending.push(byGroup)
      }
    }
    if (!anyGroup && !groupsPending) return false
    return pending.length === 0 ? true : Promise.all(pending).then(settled)
  }

  /** Whether one of `types` may be received (a socket allowed none is refused, README "Authorization"). */
  async admitsAny (types: readonly string[]): Promise<boolean> {
    const decisions = types.map((type) => this.#decide(type))
    if (decisions.includes(true)) return true
    return (await Promise.all(decisions)).includes(true)
  }

  /** The principal's roles changed: every resource is asked again as it next comes. */
  reset (): void {
    this.#decisions.clear()
  }

  #decide (resource: string): boolean | Promise<boolean> {
    const known = this.#decisions.get(resource)
    if (known !== undefined) return known
    if (this.#decisions.size >= MAX_DECISIONS) this.#decisions.clear()
    const decision = this.ask(resource)
    if (typeof decision === 'boolean') {
      this.#decisions.set(resource, decision)
      return decision
    }
    // Deliveries wait on `pending`, which settles only once the answer is kept: they then find it.
    const pending: Promise<boolean> = decision.then((allowed) => {
      if (this.#decisions.get(resource) === pending) this.#decisions.set(resource, allowed)
      return allowed
    })
    this.#decisions.set(resource, pending)
    return pending
  }
}

const settled = (): void => {}
