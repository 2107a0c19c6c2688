import { ADMIN_ROLE, roleProblem } from '../access/vocabulary.js'
import { SwitchboardError } from '../errors.js'

/** Most roles one user may hold. */
export const MAX_ROLES = 64

/** A user's stored roles, checked, without duplicates and sorted; INVALID names the first bad one. */
export function normaliseRoles (roles: readonly string[]): string[] {
  for (const role of roles) {
    const problem = roleProblem(role)
    if (problem !== null) throw new SwitchboardError('INVALID', problem)
  }
  const unique = [...new Set(roles)].sort()
  if (unique.length > MAX_ROLES) throw new SwitchboardError('INVALID', `at most ${MAX_ROLES} roles`)
  return unique
}

/** The `roles` column (a JSON array); anything else, written by hand, counts as no roles. */
export function parseRoles (column: string): string[] {
  try {
    const parsed: unknown = JSON.parse(column)
    return Array.isArray(parsed) ? parsed.filter((role): role is string => typeof role === 'string') : []
  } catch {
    return []
  }
}

/** The roles rules see: the stored ones, and `admin` for a user with `admin: true`. */
export function effectiveRoles (admin: boolean, roles: readonly string[]): string[] {
  return admin ? [...new Set([ADMIN_ROLE, ...roles])].sort() : [...roles]
}
