// The REST calls of the console, all to this server (relative URLs): log in, and each
// protocol's token. Every call and its status go to the log.

/**
 * One REST call; resolves with the parsed body, rejects with the server's message. `headers`
 * adds credentials (the admin view's X-API-Key); `quiet` logs only a failure (auto-refresh).
 */
export async function call (log, method, path, { json, form, bearer, headers: extra, quiet = false } = {}) {
  const headers = { ...extra }
  let body
  if (form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(form).toString()
  } else if (json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(json)
  }
  if (bearer) headers.authorization = `Bearer ${bearer}`
  const response = await fetch(path, { method, headers, body })
  const text = await response.text()
  let parsed = text
  try { parsed = JSON.parse(text) } catch { /* not JSON: kept as text */ }
  if (!quiet || !response.ok) log.note(`${method} ${path} → ${response.status}`, !response.ok)
  if (!response.ok) {
    const reason = parsed?.message ?? parsed?.error_description ?? parsed?.error ?? text
    throw new Error(`${method} ${path}: ${response.status} ${reason}`)
  }
  return parsed
}

export function logIn (log, username, password) {
  return call(log, 'POST', '/api/auth/login', { json: { username, password } })
}

/**
 * How each channel gets its token, by channel id: buttons of the token area. `session` is
 * `{ accessToken, username, password }` from the login form. syscache and WebRocket have none:
 * they authenticate inside the socket (rpc/auth, authenticate).
 */
export const TOKEN_SOURCES = {
  telegraphy: [{
    label: 'Get auth token',
    needsLogin: true,
    fetch: async (log, session) => (await call(log, 'POST', '/api/telegraphy/auth-tokens', { bearer: session.accessToken })).auth_token,
  }],
  really: [{
    label: 'Get token (password)',
    fetch: async (log, session) => (await call(log, 'POST', '/auth/password/login/', { json: { username: session.username, password: session.password } })).accessToken,
  }, {
    label: 'Get token (anonymous)',
    fetch: async (log) => (await call(log, 'POST', '/auth/anonymous/')).accessToken,
  }],
  das: [{
    label: 'Get OAuth token',
    fetch: async (log, session) => (await call(log, 'POST', '/oauth2/token', {
      form: { grant_type: 'password', client_id: 'das_web_client', username: session.username, password: session.password },
    })).access_token,
  }],
}
