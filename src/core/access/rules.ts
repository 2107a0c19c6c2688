import type { AccessConfig } from '../../config/schema.js'
import { compileGlob, type Matcher } from './glob.js'
import { compileSubjects, type SubjectTest } from './subjects.js'
import { ACCESS_PROTOCOLS, canonicalResource, SEPARATOR_OF, type AccessAction, type AccessProtocol } from './vocabulary.js'

/** One rule of `access.rules`, compiled. */
export interface CompiledRule {
  /** Its place in `access.rules` (for logs and tests). */
  readonly index: number
  readonly actions: ReadonlySet<AccessAction>
  readonly matches: Matcher
  readonly admits: SubjectTest
}

/**
 * Which rule first matched each (action, resource) recently: the rule does not depend on who
 * asks, so fan-out checking one event for many subscribers matches its globs once. Cleared
 * whole when full: a hit then costs one Map lookup, with no recency bookkeeping.
 */
const FIRST_MATCH_CACHE = 10_000
const NO_RULE = -1

/** One protocol's rules, in config order, and its default. */
export class ProtocolRules {
  readonly #firstMatch = new Map<AccessAction, Map<string, number>>()
  #cached = 0

  constructor (
    readonly protocol: AccessProtocol,
    readonly rules: readonly CompiledRule[],
    readonly allowByDefault: boolean,
  ) {}

  /** The first rule matching the action and the (canonical) resource, or null. */
  firstMatch (action: AccessAction, resource: string): CompiledRule | null {
    if (this.rules.length === 0) return null
    let byResource = this.#firstMatch.get(action)
    if (byResource === undefined) this.#firstMatch.set(action, byResource = new Map())
    let found = byResource.get(resource)
    if (found === undefined) {
      found = this.rules.findIndex((rule) => rule.actions.has(action) && rule.matches(resource))
      if (++this.#cached > FIRST_MATCH_CACHE) {
        for (const map of this.#firstMatch.values()) map.clear()
        this.#cached = 1
      }
      byResource.set(resource, found)
    }
    return found === NO_RULE ? null : this.rules[found]
  }
}

/** Every protocol's rules, each compiled once. */
export function compileRules (access: AccessConfig): Record<AccessProtocol, ProtocolRules> {
  const byProtocol = Object.fromEntries(ACCESS_PROTOCOLS.map((p) => [p, [] as CompiledRule[]])) as Record<AccessProtocol, CompiledRule[]>
  access.rules.forEach((rule, index) => {
    byProtocol[rule.protocol].push({
      index,
      actions: new Set(rule.actions),
      matches: compileGlob(canonicalResource(rule.protocol, rule.resource), SEPARATOR_OF[rule.protocol]),
      admits: compileSubjects(rule.allow),
    })
  })
  return Object.fromEntries(ACCESS_PROTOCOLS.map((p) => [p, new ProtocolRules(p, byProtocol[p], access.defaults[p] === 'allow')])) as Record<AccessProtocol, ProtocolRules>
}
