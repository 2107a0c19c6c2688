import { SwitchboardError } from '../core/errors.js'
import { nameProblem } from '../core/limits/index.js'

/**
 * A channel, event or type name from a REST body or path, held to the same rules as the socket
 * protocols' names (issue 14: ≤ 255 UTF-8 bytes, well-formed, no control characters): 400 if not.
 */
export function assertName (what: string, name: string): void {
  const problem = nameProblem(name)
  if (problem !== null) throw new SwitchboardError('INVALID', `${what} is not a valid name: ${problem}`)
}
