// DAS (EarthRanger): an OAuth password grant for client das_web_client, a Socket.IO
// connection to namespace /das, `authorization` with the Bearer token (within 1 s), then a
// `new_event` published over REST, acknowledged with its trace_id as DAS clients must.
//
//   node examples/das.mjs                 (SWITCHBOARD_URL, default http://localhost:8080)
import { io } from 'socket.io-client'

const base = process.env.SWITCHBOARD_URL ?? 'http://localhost:8080'
const username = process.env.SWITCHBOARD_USER ?? 'admin'
const password = process.env.SWITCHBOARD_PASSWORD ?? 'change-me'
const eventId = `example-${Date.now()}`

const fail = (message) => { console.error(`error: ${message}`); process.exit(1) }
setTimeout(() => fail('no new_event within 10 s'), 10_000).unref()

const grant = new URLSearchParams({ grant_type: 'password', username, password, client_id: 'das_web_client' })
const response = await fetch(`${base}/oauth2/token`, { method: 'POST', body: grant })
if (!response.ok) fail(`POST /oauth2/token: ${response.status} ${await response.text()}`)
const { access_token: token } = await response.json()
console.log(`REST POST /oauth2/token -> ${response.status}`)

async function publish () {
  const body = { type: 'new_event', data: { event_id: eventId, event_data: { title: 'hello from examples/das.mjs' } } }
  const published = await fetch(`${base}/api/das/emit`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) })
  if (published.status !== 202) fail(`POST /api/das/emit: ${published.status} ${await published.text()}`)
  console.log(`REST POST /api/das/emit ${JSON.stringify(body)} -> 202`)
}

const socket = io(`${base}/das`, { transports: ['websocket'], reconnection: false })
socket.on('connect_error', (error) => fail(error.message))
socket.on('disconnect', (reason) => fail(`disconnected (${reason})`))
socket.onAny((event, payload) => console.log(`< ${event} ${JSON.stringify(payload)}`))
socket.on('connect', () => {
  const authorization = { type: 'authorization', id: 1, authorization: `Bearer ${token}` }
  console.log(`> authorization ${JSON.stringify(authorization)}`)
  socket.emit('authorization', authorization)
})
socket.on('resp_authorization', (reply) => {
  if (reply.status?.code !== 200) fail(`authorization: ${reply.status?.code} ${reply.status?.message}`)
  publish().catch((error) => fail(error.message))
})
socket.on('new_event', (event, ack) => {
  ack?.(event.trace_id)
  if (event.event_id !== eventId) return
  console.log('done: received the new_event')
  socket.off('disconnect')
  socket.close()
})
