// syscache (the sysadm API): log in on the socket itself, subscribe to dispatcher events,
// and receive one. The socket needs no REST step: `rpc/auth` takes the user's password.
// Publishing an event is a service call, so this script logs in over REST for that part only.
//
//   node examples/syscache.mjs            (SWITCHBOARD_URL, default http://localhost:8080)
import WebSocket from 'ws'

const base = process.env.SWITCHBOARD_URL ?? 'http://localhost:8080'
const username = process.env.SWITCHBOARD_USER ?? 'admin'
const password = process.env.SWITCHBOARD_PASSWORD ?? 'change-me'
const marker = `example-${Date.now()}`

const fail = (message) => { console.error(`error: ${message}`); process.exit(1) }
setTimeout(() => fail('no event within 10 s'), 10_000).unref()

async function publish () {
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })
  if (!login.ok) fail(`POST /api/auth/login: ${login.status} ${await login.text()}`)
  const { access_token: token } = await login.json()
  const payload = { state: 'finished', process_id: marker }
  const published = await fetch(`${base}/api/syscache/events/dispatcher`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(payload) })
  if (published.status !== 204) fail(`POST /api/syscache/events/dispatcher: ${published.status} ${await published.text()}`)
  console.log(`REST POST /api/syscache/events/dispatcher ${JSON.stringify(payload)} -> 204`)
}

const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/syscache`)
const send = (frame) => { console.log(`> ${JSON.stringify(frame)}`); socket.send(JSON.stringify(frame)) }
socket.on('error', (error) => fail(error.message))
socket.on('close', (code) => fail(`socket closed (${code})`))
socket.on('open', () => send({ namespace: 'rpc', name: 'auth', id: 'login', args: { username, password } }))
socket.on('message', (data) => {
  console.log(`< ${data}`)
  const frame = JSON.parse(data.toString())
  if (frame.name === 'error') fail(`${frame.args.code} ${frame.args.message}`)
  if (frame.id === 'login') send({ namespace: 'events', name: 'subscribe', id: 'subscribe', args: ['dispatcher'] })
  else if (frame.id === 'subscribe') publish().catch((error) => fail(error.message))
  // The subscribe reply is followed by the last dispatcher event, if any: wait for ours.
  else if (frame.namespace === 'events' && frame.args?.args?.process_id === marker) {
    console.log('done: received the published dispatcher event')
    socket.removeAllListeners('close')
    socket.close()
    process.exitCode = 0
  }
})
