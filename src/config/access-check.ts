import { globProblem } from '../core/access/glob.js'
import { ACTIONS_OF, OWNER_PROTOCOLS, OWNER_SUBJECT, roleProblem } from '../core/access/vocabulary.js'
import type { Config } from './schema.js'

/** A key of a valid-looking config that still cannot be used, as a JSON pointer and a reason. */
export interface ConfigProblem {
  path: string
  reason: string
}

/**
 * What the schema cannot say about access rules and roles: an action or a subject the rule's
 * protocol does not have, a resource pattern that is not a glob, a user listing the `admin` role
 * (which `admin: true` gives). The first problem, or null.
 */
export function accessProblem (config: Pick<Config, 'access' | 'users'>): ConfigProblem | null {
  for (const [i, rule] of config.access.rules.entries()) {
    const at = `/access/rules/${i}`
    const glob = globProblem(rule.resource)
    if (glob !== null) return { path: `${at}/resource`, reason: glob }
    const actions = ACTIONS_OF[rule.protocol]
    for (const [j, action] of rule.actions.entries()) {
      if (!actions.includes(action)) return { path: `${at}/actions/${j}`, reason: `${action} is not an action of ${rule.protocol} (its actions: ${actions.join(', ')})` }
    }
    for (const [j, subject] of rule.allow.entries()) {
      if (subject === OWNER_SUBJECT && !OWNER_PROTOCOLS.includes(rule.protocol)) {
        return { path: `${at}/allow/${j}`, reason: `owner is a subject of ${OWNER_PROTOCOLS.join(', ')} rules only (the user who created the object)` }
      }
    }
  }
  for (const [i, user] of config.users.entries()) {
    for (const [j, role] of (user.roles ?? []).entries()) {
      const problem = roleProblem(role)
      if (problem !== null) return { path: `/users/${i}/roles/${j}`, reason: problem }
    }
  }
  return null
}
