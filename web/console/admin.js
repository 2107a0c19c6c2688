// The admin view (issue 20): every node's connections, a channel's presence, closing
// connections and publishing a test event, all with service credentials: the API key typed
// here (X-API-Key, kept only in this page's memory), else the Bearer token of the console's
// login, which must be an admin's.
import { connectionsPanel, PROTOCOLS } from './admin-connections.js'
import { presencePanel } from './admin-presence.js'
import { publishPanel } from './admin-publish.js'
import { options } from './dom.js'
import { call } from './rest.js'

/** The credentials in use: `{ headers, how }`, or null when there are none. */
export function credentialsOf (apiKey, accessToken) {
  if (apiKey) return { headers: { 'x-api-key': apiKey }, how: 'X-API-Key' }
  if (accessToken) return { headers: { authorization: `Bearer ${accessToken}` }, how: 'the login\'s Bearer token' }
  return null
}

/** Wires the admin section; `accessToken()` is the console login's token (or null). */
export function startAdmin ({ $, log, accessToken }) {
  const credentials = () => credentialsOf($('admin-key').value.trim(), accessToken())
  const showCredentials = () => {
    $('admin-credentials').value = `using ${credentials()?.how ?? 'no credentials: enter an API key or log in as an admin'}`
  }
  $('admin-key').addEventListener('input', showCredentials)
  showCredentials()

  /** A REST call with the admin credentials; rejects at once when there are none. */
  const request = async (method, path, opts = {}) => {
    showCredentials()
    const using = credentials()
    if (using === null) throw new Error(`${method} ${path}: not sent, no credentials (an API key, or an admin login)`)
    return call(log, method, path, { ...opts, headers: using.headers })
  }

  $('admin-protocol').replaceChildren(...options([['', 'every protocol'], ...PROTOCOLS.map((p) => [p])]))
  $('presence-protocol').replaceChildren(...options(PROTOCOLS.map((p) => [p])))
  const panels = { $, request, log }
  connectionsPanel(panels)
  presencePanel(panels)
  publishPanel(panels)
  return { showCredentials }
}
