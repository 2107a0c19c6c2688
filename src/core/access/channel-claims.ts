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
 * addition to the rules. A principal keeps its claim (the same array) for its connection's life,
 * so each claim's globs are compiled once per protocol, kept by the array itself (weakly: they
 * go with the principal).
 */
export class ChannelClaims {
  readonly #compiled = new WeakMap<readonly string[], Partial<Record<AccessProtocol, readonly Matcher[]>>>()

  /** Whether `resource` (canonical) of `protocol` is within one of the claimed globs. */
  admit (protocol: AccessProtocol, resource: string, channels: readonly string[]): boolean {
    let byProtocol = this.#compiled.get(channels)
    if (byProtocol === undefined) this.#compiled.set(channels, byProtocol = {})
    const matchers = byProtocol[protocol] ??= compileClaims(protocol, channels)
    for (const matches of matchers) if (matches(resource)) return true
    return false
  }
}

// A glob of another protocol admits nothing here; a malformed one (not minted by us) neither.
function compileClaims (protocol: AccessProtocol, channels: readonly string[]): Matcher[] {
  const matchers: Matcher[] = []
  for (const claim of channels) {
    const { protocol: only, glob } = split(claim)
    if ((only === null || only === protocol) && globProblem(glob) === null) {
      matchers.push(compileGlob(canonicalResource(protocol, glob), SEPARATOR_OF[protocol]))
    }
  }
  return matchers
}
