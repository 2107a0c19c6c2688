import { ConfigError, keyName } from '../config/load.js'
import { StartupFailure, SwitchboardError } from '../core/errors.js'

/** A command line that is not one the CLI knows: the reason is printed above the usage. */
export class UsageError extends Error {
  constructor (reason: string) {
    super(reason)
    this.name = 'UsageError'
  }
}

/** Exit codes: 1 for a failure, 2 for a configuration (or usage) error. */
export const EXIT_FAILURE = 1
export const EXIT_CONFIG = 2

/**
 * A failed command as one line (issue 18): `error: <what> (<key, or a URL without its
 * password>)`, and its exit code. A config key set by an environment variable is named by the
 * variable. The stack only with LOG_LEVEL=debug (or trace): an operator reads the line, a
 * developer asks for the rest.
 */
export function describeFailure (err: unknown, env: NodeJS.ProcessEnv): { lines: string[], code: number } {
  const lines: string[] = []
  let code = EXIT_FAILURE
  if (err instanceof ConfigError) {
    code = EXIT_CONFIG
    lines.push(err.path ? `error: invalid config: ${err.reason} (${keyName(err.path, env)})` : `error: invalid config: ${err.reason}`)
  } else if (err instanceof StartupFailure) {
    lines.push(`error: ${err.what} (${err.where.startsWith('/') ? keyName(err.where, env) : err.where})`)
  } else if (err instanceof SwitchboardError) {
    lines.push(`error: ${err.message}`)
  } else {
    lines.push(`error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`)
  }
  if (env.LOG_LEVEL === 'debug' || env.LOG_LEVEL === 'trace') {
    for (let at: unknown = err; at instanceof Error; at = at.cause) lines.push(at.stack ?? String(at))
  }
  return { lines, code }
}
