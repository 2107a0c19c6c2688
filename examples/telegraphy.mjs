// Telegraphy: log in over REST, take a one-time auth token (it lives 5 s and works once),
// CONNECT with it, SUBSCRIBE to an event and receive one published over REST.
//
//   node examples/telegraphy.mjs          (SWITCHBOARD_URL, default http://localhost:8080)
import WebSocket from 'ws'

const base = process.env.SWITCHBOARD_URL ?? 'http://localhost:8080'
const username = process.env.SWITCHBOARD_USER ?? 'admin'
const password = process.env.SWITCHBOARD_PASSWORD ?? 'change-me'
const eventName = 'example.greeting'

const fail = (message) => { console.error(`error: ${message}`); process.exit(1) }
setTimeout(() => fail('no event within 10 s'), 10_000).unref()

async function rest (path, token, body) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  if (!response.ok) fail(`POST ${path}: ${response.status} ${text}`)
  console.log(`REST POST ${path} -> ${response.status}`)
  return JSON.parse(text)
}

const { access_token: bearer } = await rest('/api/auth/login', null, { username, password })
const { auth_token: authToken } = await rest('/api/telegraphy/auth-tokens', bearer, {})

const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/telegraphy`)
const send = (frame) => { console.log(`> ${JSON.stringify(frame)}`); socket.send(JSON.stringify(frame)) }
socket.on('error', (error) => fail(error.message))
socket.on('close', (code) => fail(`socket closed (${code})`))
socket.on('open', () => send({ message: 'CONNECT', id: 0, args: { auth_token: authToken } }))
socket.on('message', (data) => {
  console.log(`< ${data}`)
  const frame = JSON.parse(data.toString())
  if (frame.success === false) fail(frame.status)
  // lazy: the event need not be registered yet (publishing it registers it).
  if (frame.status === 'CONNECTED') send({ message: 'SUBSCRIBE', id: 1, args: { event_name: eventName, lazy: true } })
  if (frame.status === 'SUBSCRIBED') rest('/api/telegraphy/events', bearer, { name: eventName, data: { text: 'hello from examples/telegraphy.mjs' } }).catch((error) => fail(error.message))
  if (frame.event === eventName) {
    console.log('done: received the event')
    socket.removeAllListeners('close')
    socket.close()
  }
})
