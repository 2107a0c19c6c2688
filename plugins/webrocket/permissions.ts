/** Permission bits of a vhost user, as upstream's `user.go` defined them (spec §2.2). */
export const READ = 1
export const WRITE = 2
export const MANAGE = 4

export type PermissionName = 'READ' | 'WRITE' | 'MANAGE'

const BITS: Record<PermissionName, number> = { READ, WRITE, MANAGE }
const NAMES: PermissionName[] = ['READ', 'WRITE', 'MANAGE']

export function toMask (names: readonly PermissionName[]): number {
  let mask = 0
  for (const name of names) mask |= BITS[name]
  return mask
}

export function toNames (mask: number): PermissionName[] {
  return NAMES.filter((name) => (mask & BITS[name]) !== 0)
}
