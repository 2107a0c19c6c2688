// The admin view's presence: who is subscribed to a channel now, on every node
// (GET /api/presence/{protocol}/{channel} and its /stats), the channel named as the protocol
// names it (README "Presence and connections").
import { el } from './dom.js'

/** An example channel per protocol, shown as the input's placeholder. */
export const CHANNEL_EXAMPLES = {
  syscache: 'dispatcher',
  webrocket: '/echo/hello',
  telegraphy: 'demo.Item',
  really: '/messages/*',
  das: '/das',
}

/** The presence route of a channel: the channel is one path segment, so it is URL-encoded. */
export const presencePath = (protocol, channel) => `/api/presence/${encodeURIComponent(protocol)}/${encodeURIComponent(channel)}`

export function presencePanel ({ $, request, log }) {
  const placeholder = () => { $('presence-channel').placeholder = CHANNEL_EXAMPLES[$('presence-protocol').value] ?? '' }
  $('presence-protocol').addEventListener('change', placeholder)
  placeholder()

  $('presence').addEventListener('submit', async (event) => {
    event.preventDefault()
    const protocol = $('presence-protocol').value
    const channel = $('presence-channel').value
    if (channel === '') {
      log.note('type a channel first', true)
      return
    }
    try {
      const path = presencePath(protocol, channel)
      const [members, stats] = await Promise.all([request('GET', path), request('GET', `${path}/stats`)])
      $('presence-stats').value = `${stats.connections} connection(s), ${stats.users} user(s) on ${protocol} ${channel}`
      $('presence-users').replaceChildren(...members.users.map((user) => el('li', {}, user)))
      $('presence-connections').replaceChildren(...members.connections.map((c) => el('tr', {},
        el('td', { className: 'id' }, c.id), el('td', {}, c.user ?? '(anonymous)'), el('td', {}, c.node))))
    } catch (err) {
      $('presence-stats').value = ''
      $('presence-users').replaceChildren()
      $('presence-connections').replaceChildren()
      log.note(err.message, true)
    }
  })
}
