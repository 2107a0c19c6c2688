/** The command errors of spec §4.6 (upstream `package.scala: CommandError`), code + message. */
export interface CommandError {
  code: number
  message: string
  /** Play 2.3 `JsError.toFlatJson` shape: `{"obj.<path>": [{"msg": "<key>", "args": []}]}`. */
  errors?: Record<string, Array<{ msg: string, args: unknown[] }>>
}

const make = (code: number, message: string) => (): CommandError => ({ code, message })

export const Errors = {
  badJson: make(400, 'json.malformed'),
  // Not in CommandError (upstream never enforced access); the wire protocol doc's `get` error
  // example (`the-wire-protocol.rst`, a §4.1 source) shows exactly this shape. Issue 16 denials.
  forbidden: make(403, 'forbidden'),
  initializeRequired: make(400, 'initialize.required'),
  initializeInvalid: make(400, 'initialize.invalid'),
  tokenInvalid: make(401, 'token.invalid'),
  tokenExpired: make(401, 'token.expired'),
  objectMissing: make(404, 'object.missing'),
  modelUnknown: make(404, 'model.unknown'),
  parentMissing: make(404, 'object.parent.missing'),
  socketIdle: make(408, 'socket.idle'),
  // Issue 20 (README, "Closed by an operator"): DELETE /api/connections/{id} or a user's connections.
  socketClosed: make(410, 'socket.closed'),
  // [DEVIATION] (README, "Throttling"): an initialize refused unchecked after too many invalid tokens from the address.
  initializeThrottled: make(429, 'initialize.throttled'),
  objectGone: make(410, 'object.gone'),
  revisionOutdated: make(420, 'object.revision.outdated'),
  internal: make(500, 'internal.server.error'),
  invalidCommand: (cmd: string): CommandError => ({ code: 454, message: `Invalid command: ${cmd}` }),
  validationFailed: (errors: CommandError['errors'] = {}): CommandError => ({ code: 409, message: 'validation.failed', errors }),
  modelValidationFailed: (errors: CommandError['errors']): CommandError => ({ code: 409, message: 'validation.model.failed', errors }),
}

/** One entry of the flat error object. */
export function flatError (path: string, msg: string, ...args: unknown[]): NonNullable<CommandError['errors']> {
  return { [path]: [{ msg, args }] }
}

/** Thrown inside command handlers; the session turns it into an error reply with the tag. */
export class ReallyError extends Error {
  constructor (readonly error: CommandError, readonly r?: string) {
    super(error.message)
  }
}
