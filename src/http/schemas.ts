import { Type } from '@sinclair/typebox'
import { ROLE_PATTERN } from '../core/access/vocabulary.js'

/** Fastify's error shape, used by every non-OAuth REST error. */
export const ErrorReply = Type.Object({
  statusCode: Type.Integer(),
  code: Type.Optional(Type.String()),
  error: Type.String(),
  message: Type.String(),
}, { $id: 'ErrorReply', description: 'Error' })

export const errorRef = Type.Ref('ErrorReply')

/** Response schemas for the error statuses a route can answer. */
export function errors (...codes: Array<400 | 401 | 403 | 404 | 409 | 413 | 429 | 503>): Record<number, typeof errorRef> {
  return Object.fromEntries(codes.map((code) => [code, errorRef]))
}

export const TokenPair = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'seconds' }),
  refresh_token: Type.String(),
})

export const UserView = Type.Object({
  username: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  admin: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  // A config-file user the config no longer lists: it cannot log in until listed again.
  disabled: Type.Boolean(),
  // For the access rules (`role:<name>`); an admin also has `role:admin`, not listed here.
  roles: Type.Array(Type.String()),
})

export const Username = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.@-]+$' })

/** A role a user can be given (`admin` is refused: `admin: true` gives it). */
export const Role = Type.String({ pattern: ROLE_PATTERN })
export const Roles = Type.Array(Role, { maxItems: 64 })
