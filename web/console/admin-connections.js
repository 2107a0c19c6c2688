// The admin view's live connections: GET /api/connections a page at a time (every node's),
// refreshed by hand or every few seconds, each row with its close buttons.
import { el } from './dom.js'

const PROTOCOLS = ['syscache', 'webrocket', 'telegraphy', 'really', 'das']
export { PROTOCOLS }

/** "12:03:04 (5 min ago)" for a connection's `connectedSince` (ms since the epoch). */
export function since (ms, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - ms) / 1000))
  const age = seconds < 120 ? `${seconds} s` : seconds < 7200 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`
  return `${new Date(ms).toLocaleTimeString()} (${age} ago)`
}

/** How many connections of the page each protocol has on each node: "webrocket on n1: 2". */
export function summaryOf (connections) {
  const counts = new Map()
  for (const c of connections) {
    const key = `${c.protocol} on ${c.node}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return [...counts].sort(([a], [b]) => a < b ? -1 : 1).map(([key, n]) => `${key}: ${n}`)
}

/** The warning for a page some nodes did not answer, or '' when every node did. */
export function coverageOf ({ incomplete, missingNodes = [] }) {
  if (!incomplete && missingNodes.length === 0) return ''
  return `incomplete: ${missingNodes.length > 0 ? `no answer from ${missingNodes.join(', ')}` : 'some nodes did not answer'}`
}

/**
 * One table row; `close(connection)` and `closeUser(user)` are its buttons' actions. A row
 * `closed` (the server said so, but the connection has not left the registry yet) is shown
 * struck out, without buttons.
 */
export function rowOf (c, { close, closeUser }, closed = false) {
  const cell = (text, className) => el('td', className ? { className } : {}, text)
  const closeButton = el('button', { type: 'button', className: 'close-connection', title: `DELETE /api/connections/${c.id}` }, 'Close')
  closeButton.addEventListener('click', () => close(c))
  const actions = el('td', {}, closed ? 'closed' : closeButton)
  // DELETE /api/users/{u}/connections closes a core user's connections; a WebRocket row's user
  // is its vhost's user, which that route does not match: no button that would close nothing.
  if (!closed && c.user !== null && c.protocol !== 'webrocket') {
    const userButton = el('button', { type: 'button', className: 'close-user', title: `DELETE /api/users/${c.user}/connections` }, 'Close user\'s')
    userButton.addEventListener('click', () => closeUser(c.user))
    actions.append(' ', userButton)
  }
  const row = el('tr', {},
    cell(c.id, 'id'), cell(c.node), cell(c.protocol), cell(c.user ?? '(anonymous)', c.user === null ? 'none' : ''),
    cell(c.address), cell(since(c.connectedSince)), cell(c.subscriptions.join('\n'), 'subscriptions'),
    cell(`${c.framesIn} / ${c.framesOut}`, 'number'), cell(`${c.bytesIn} / ${c.bytesOut}`, 'number'), actions)
  row.dataset.id = c.id
  if (closed) row.className = 'closed'
  return row
}

/**
 * Wires the connections panel. `request(method, path, options)` is a REST call with the admin
 * credentials; `$` finds an element by id.
 */
export function connectionsPanel ({ $, request, log }) {
  // The page shown is the one after `cursor` (null: the first); `cursors` remembers the way back.
  const state = { cursor: null, cursors: [], next: null, loading: false, timer: null, page: null }
  // Ids the server closed: a close answers before the socket has left the listing.
  let closed = new Set()

  function query () {
    const params = new URLSearchParams()
    if ($('admin-protocol').value) params.set('protocol', $('admin-protocol').value)
    if ($('admin-user').value) params.set('user', $('admin-user').value)
    params.set('limit', $('admin-limit').value || '100')
    if (state.cursor !== null) params.set('cursor', state.cursor)
    return `/api/connections?${params}`
  }

  function show (page) {
    const actions = { close, closeUser }
    state.page = page
    closed = new Set(page.connections.filter((c) => closed.has(c.id)).map((c) => c.id))
    $('admin-connections').replaceChildren(...page.connections.map((c) => rowOf(c, actions, closed.has(c.id))))
    $('admin-summary').replaceChildren(...summaryOf(page.connections).map((line) => el('li', {}, line)))
    $('admin-coverage').textContent = coverageOf(page)
    $('admin-coverage').hidden = $('admin-coverage').textContent === ''
    $('admin-page').value = `page ${state.cursors.length + 1}: ${page.connections.length} connection(s)${page.nextCursor === null ? '' : ', more'}`
    state.next = page.nextCursor
    $('admin-next').disabled = page.nextCursor === null
    $('admin-previous').disabled = state.cursors.length === 0
  }

  /** Loads the current page; `quiet` (auto-refresh) logs only failures. */
  async function refresh (quiet = false) {
    if (state.loading) return
    state.loading = true
    try {
      show(await request('GET', query(), { quiet }))
      $('admin-refreshed').value = `refreshed ${new Date().toLocaleTimeString()}`
    } catch (err) {
      log.note(err.message, true)
      // An auto-refresh that fails (no credentials, a refused key) stops rather than repeats it.
      if (state.timer !== null) {
        $('admin-auto').checked = false
        autoRefresh()
        log.note('auto-refresh stopped', true)
      }
    } finally {
      state.loading = false
    }
  }

  async function close (c) {
    try {
      await request('DELETE', `/api/connections/${encodeURIComponent(c.id)}`)
      closed.add(c.id)
      log.note(`closed ${c.protocol} connection ${c.id}${c.user === null ? '' : ` of ${c.user}`} on ${c.node}`)
    } catch (err) {
      log.note(err.message, true)
    }
    await refresh()
  }

  async function closeUser (user) {
    try {
      const result = await request('DELETE', `/api/users/${encodeURIComponent(user)}/connections`)
      for (const c of state.page?.connections ?? []) if (c.user === user && c.protocol !== 'webrocket') closed.add(c.id)
      const coverage = coverageOf(result)
      log.note(`closed ${result.closed} connection(s) of ${user}${coverage ? `; ${coverage}` : ''}`, coverage !== '')
    } catch (err) {
      log.note(err.message, true)
    }
    await refresh()
  }

  function autoRefresh () {
    clearInterval(state.timer)
    state.timer = null
    if (!$('admin-auto').checked) return
    const seconds = Math.max(1, Number($('admin-every').value) || 5)
    state.timer = setInterval(() => refresh(true), seconds * 1000)
    refresh(true)
  }

  const firstPage = () => { state.cursor = null; state.cursors = []; refresh() }
  $('admin-refresh').addEventListener('click', () => refresh())
  $('admin-first').addEventListener('click', firstPage)
  $('admin-filter').addEventListener('submit', (event) => { event.preventDefault(); firstPage() })
  $('admin-next').addEventListener('click', () => {
    if (state.next === null) return
    state.cursors.push(state.cursor)
    state.cursor = state.next
    refresh()
  })
  $('admin-previous').addEventListener('click', () => {
    state.cursor = state.cursors.pop() ?? null
    refresh()
  })
  $('admin-auto').addEventListener('change', autoRefresh)
  $('admin-every').addEventListener('change', autoRefresh)
  $('admin-close-user').addEventListener('submit', (event) => {
    event.preventDefault()
    const user = $('admin-close-username').value.trim()
    if (user) closeUser(user)
  })
}
