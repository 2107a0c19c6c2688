// The admin view's test event: each protocol's publish route (README, Protocols) with a body
// to start from, the request and reply logged. Really has no publish route: its clients create
// and update objects themselves, which is what reaches its subscribers.
import { options } from './dom.js'

/**
 * Publish routes: `{ id, label, path, parameters: {name: default}, body }`. The bodies are the
 * routes' OpenAPI request examples, with channels the socket templates subscribe to.
 */
export const PUBLISH_ROUTES = [
  { id: 'syscache', label: 'syscache: POST /api/syscache/events/{type}', path: '/api/syscache/events/{type}', parameters: { type: 'dispatcher' }, body: { state: 'running', jobs: 2 } },
  { id: 'webrocket', label: 'WebRocket: POST /api/webrocket/vhosts/{vhost}/broadcast', path: '/api/webrocket/vhosts/{vhost}/broadcast', parameters: { vhost: 'echo' }, body: { channel: 'hello', event: 'greeting', data: { text: 'hi' } } },
  { id: 'telegraphy', label: 'Telegraphy: POST /api/telegraphy/events', path: '/api/telegraphy/events', parameters: {}, body: { name: 'demo.Item', data: { id: 1, state: 'new' } } },
  { id: 'das', label: 'DAS: POST /api/das/emit', path: '/api/das/emit', parameters: {}, body: { type: 'new_event', data: { id: 'c1f0b0a2-1', title: 'Example', event_type: 'arrest', priority: 200 } } },
  { id: 'das-subject', label: 'DAS: POST /api/das/subject-updates', path: '/api/das/subject-updates', parameters: {}, body: { subject: { id: 'subject-1', name: 'Truck 1', last_position: { type: 'Feature', geometry: { type: 'Point', coordinates: [36.8, -1.3] }, properties: {} } } } },
]

/** The route's path with its parameters filled in, each one URL-encoded (a vhost without its leading slash). */
export function publishPath (route, values) {
  return route.path.replace(/\{([^}]+)\}/g, (_, name) => encodeURIComponent(String(values[name] ?? '').replace(/^\/+/, '')))
}

export function publishPanel ({ $, request, log }) {
  const current = () => PUBLISH_ROUTES.find((r) => r.id === $('publish-route').value)
  const values = {} // route id → its parameters as last typed

  function showRoute () {
    const route = current()
    values[route.id] ??= { ...route.parameters }
    $('publish-parameters').replaceChildren(...Object.keys(route.parameters).map((name) => {
      const input = Object.assign(document.createElement('input'), { id: `publish-${name}`, value: values[route.id][name] })
      input.addEventListener('input', () => { values[route.id][name] = input.value })
      const label = document.createElement('label')
      label.append(`${name} `, input)
      return label
    }))
    $('publish-body').value = JSON.stringify(route.body, null, 2)
  }

  $('publish-route').replaceChildren(...options(PUBLISH_ROUTES.map((r) => [r.id, r.label])))
  $('publish-route').addEventListener('change', showRoute)
  showRoute()

  $('publish').addEventListener('submit', async (event) => {
    event.preventDefault()
    const route = current()
    let body
    try {
      body = JSON.parse($('publish-body').value)
    } catch (err) {
      log.note(`not sent: the body is not JSON (${err.message})`, true)
      return
    }
    try {
      const reply = await request('POST', publishPath(route, values[route.id]), { json: body })
      log.note(`published: ${JSON.stringify(reply)}`)
    } catch (err) {
      log.note(err.message, true)
    }
  })
}
