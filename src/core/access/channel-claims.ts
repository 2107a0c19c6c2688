import { BoundedCache } from './bounded-cache.js'
import { compileGlob, globProblem, type Matcher } from './glob.js'
import { canonicalResource, isAccessProtocol, SEPARATOR_OF, type AccessProtocol } from './vocabulary.js'

/** Most globs one token's `channels` claim may hold. */
export const MAX_CHANNEL_CLAIMS = 100

// `webrocket:/echo/*` names one protocol's resources; a bare glob applies to every protocol.
const qualified = /^([a-z]+):(.*)$/s

function split (claim: string): { protocol: AccessProtocol | null, glob: string } {
  const match = qualified.exec(claim)
  return match && isAccessProtocol(match[1]) ? { protocol: match[1], glob: match[2] } : { protocol: null, glob: claim }
}

/** Why `claim` cannot be one glob of a `channels` claim, or null. */
export function channelClaimProblem (claim: string): string | null {
  const problem = globProblem(split(claim).glob)
  return problem && `channel ${JSON.stringify(claim)}: ${problem}`
}

/**
 * The `channels` claim of a narrowed token: a resource must match one of its globs, in
 * addition to the rules. Principals come and go with connections while their claims repeat,
 * so each glob is compiled once per protocol and kept in a bounded cache.
 */
export class ChannelClaims {
  readonly #compiled = new BoundedCache<Matcher | null>(1000)

  /** Whether `resource` (canonical) of `protocol` is within one of the claimed globs. */
  admit (protocol: AccessProtocol, resource: string, channels: readonly string[]): boolean {
    for (const claim of channels) {
      if (this.#matcher(protocol, claim)?.(resource)) return true
    }
    return false
  }

  #matcher (protocol: AccessProtocol, claim: string): Matcher | null {
    const key = `${protocol} ${claim}`
    let matcher = this.#compiled.get(key)
    if (matcher === undefined) {
      const { protocol: only, glob } = split(claim)
      // A glob of another protocol admits nothing here; a malformed one (not minted by us) neither.
      matcher = (only !== null && only !== protocol) || globProblem(glob) !== null
        ? null
        : compileGlob(canonicalResource(protocol, glob), SEPARATOR_OF[protocol])
      this.#compiled.set(key, matcher)
    }
    return matcher
  }
}
