import { isIPv6 } from 'node:net'

/**
 * The throttle key of a client address. An IPv4 address (also when mapped into IPv6) is
 * itself; an IPv6 address counts as its /64, the block one subscriber usually holds: keying
 * on the full address would give an attacker 2^64 fresh budgets (the same choice as
 * @fastify/rate-limit's default `ipv6Subnet`).
 */
export function addressKey (address: string): string {
  const lower = address.toLowerCase()
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)
  if (mapped) return mapped[1]
  if (!isIPv6(lower)) return lower
  return `${expand(lower).slice(0, 4).join(':')}::/64`
}

/** The eight hextets of an IPv6 address, without leading zeros (`::` expanded). */
function expand (address: string): string[] {
  const [head, tail] = address.split('::') as [string, string | undefined]
  const part = (text: string | undefined) => text ? text.split(':') : []
  const left = part(head)
  const right = part(tail)
  // An embedded IPv4 tail (`…:1.2.3.4`) takes two hextets; only the /64 is kept, so its value does not matter.
  const width = right.concat(left).reduce((n, h) => n + (h.includes('.') ? 2 : 1), 0)
  const middle = tail === undefined ? [] : Array<string>(8 - width).fill('0')
  return [...left, ...middle, ...right].map((h) => h.includes('.') ? h : h.replace(/^0+(?=.)/, ''))
}
