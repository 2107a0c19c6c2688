type Origins = '*' | string[]

/**
 * The WebSocket upgrade allowlist (`server.allowedOrigins`) as the code reads it: a list of
 * origins, `[]` meaning any.
 *
 * Unset or `[]` follows `server.cors.origins`: a deployment that lets one web app call its REST
 * routes lets the same app, and only it, open sockets. Only when CORS is off too (`[]`, the
 * default) or `"*"` does an empty list stay "any origin" — a deployment that names no origin
 * anywhere keeps accepting sockets from every page, as before CORS existed, since every
 * protocol authenticates inside the socket, never by cookie. `"*"` opens sockets to every page
 * even when CORS names a few.
 */
export function resolveAllowedOrigins (allowedOrigins: Origins | null, corsOrigins: Origins): string[] {
  if (allowedOrigins === '*') return []
  if (allowedOrigins !== null && allowedOrigins.length > 0) return allowedOrigins
  return corsOrigins === '*' ? [] : corsOrigins
}
