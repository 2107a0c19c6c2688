import { findReservedKey, RESERVED_KEYS } from '../../src/core/limits/index.js'
import { Errors, flatError, ReallyError } from './errors.js'

/**
 * Object fields a client may store (issue 14): `__proto__`, `constructor`, `toString` and the
 * other Object.prototype names (plus `prototype`) are refused, as fields and inside values, with
 * 409 `validation.failed` (spec §4.6), naming the path and the key.
 */
export function refuseReservedKeys (value: unknown, path: string, r?: string): void {
  const key = findReservedKey(value)
  if (key !== null) throw new ReallyError(Errors.validationFailed(flatError(path, 'error.reserved.key', key)), r)
}

/** An update op's key that names a reserved field (ops name fields by string, not as object keys). */
export function refuseReservedField (key: string, path: string, r?: string): void {
  if (RESERVED_KEYS.has(key)) throw new ReallyError(Errors.validationFailed(flatError(path, 'error.reserved.key', key)), r)
}

/** More subscriptions than `limits.subscriptionsPerConnection`: 409 for the whole request. */
export function tooManySubscriptions (limit: number): ReallyError {
  return new ReallyError(Errors.validationFailed(flatError('obj.body.subscriptions', 'error.max.subscriptions', limit)))
}

/** A frame nested past `limits.maxDepth`, refused before it is parsed: 409, no tag (it was not read). */
export function tooDeep (maxDepth: number): ReallyError {
  return new ReallyError(Errors.validationFailed(flatError('obj', 'error.max.depth', maxDepth)))
}
