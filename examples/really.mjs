// Really.io: take an anonymous access token over REST, initialize the socket with it,
// subscribe to the /messages/ collection (the built-in model) and create an object in it:
// the create is answered, and the subscription gets the `created` push.
//
//   node examples/really.mjs              (SWITCHBOARD_URL, default http://localhost:8080)
import WebSocket from 'ws'

const base = process.env.SWITCHBOARD_URL ?? 'http://localhost:8080'
const collection = process.env.REALLY_COLLECTION ?? '/messages/'

const fail = (message) => { console.error(`error: ${message}`); process.exit(1) }
setTimeout(() => fail('no created push within 10 s'), 10_000).unref()

const response = await fetch(`${base}/auth/anonymous/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
if (!response.ok) fail(`POST /auth/anonymous/: ${response.status} ${await response.text()}`)
const { accessToken } = await response.json()
console.log(`REST POST /auth/anonymous/ -> ${response.status}`)

const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/v0.1/socket`)
const send = (frame) => { console.log(`> ${JSON.stringify(frame)}`); socket.send(JSON.stringify(frame)) }
socket.on('error', (error) => fail(error.message))
socket.on('close', (code) => fail(`socket closed (${code})`))
socket.on('open', () => send({ tag: 1, cmd: 'initialize', accessToken }))
let created = false
let pushed = false
socket.on('message', (data) => {
  console.log(`< ${data}`)
  const frame = JSON.parse(data.toString())
  if (frame.error) fail(`${frame.error.code} ${frame.error.message}`)
  if (frame.evt === 'initialized') send({ tag: 2, cmd: 'subscribe', body: { subscriptions: [{ r: collection, rev: 0 }] } })
  if (frame.tag === 2) send({ tag: 3, cmd: 'create', r: collection, body: { text: 'hello from examples/really.mjs' } })
  if (frame.tag === 3) created = true
  if (frame.evt === 'created') pushed = true
  if (created && pushed) {
    console.log('done: created an object and received its push')
    socket.removeAllListeners('close')
    socket.close()
  }
})
