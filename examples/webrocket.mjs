// WebRocket: authenticate as the vhost user joe on /echo (vhost users are not the REST
// users), subscribe to a channel and broadcast to it on the same socket.
//
//   node examples/webrocket.mjs           (SWITCHBOARD_URL, default http://localhost:8080)
import WebSocket from 'ws'

const base = process.env.SWITCHBOARD_URL ?? 'http://localhost:8080'
const user = process.env.WEBROCKET_USER ?? 'joe'
const secret = process.env.WEBROCKET_SECRET ?? 's3cret'
const channel = 'hello'

const fail = (message) => { console.error(`error: ${message}`); process.exit(1) }
setTimeout(() => fail('no broadcast within 10 s'), 10_000).unref()

const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/webrocket/echo`)
const send = (frame) => { console.log(`> ${JSON.stringify(frame)}`); socket.send(JSON.stringify(frame)) }
socket.on('error', (error) => fail(error.message))
socket.on('close', (code) => fail(`socket closed (${code})`))
socket.on('open', () => send({ authenticate: { user, secret } }))
// The sender's ack and the delivery to its own subscription come in either order.
let acked = false
let delivered = false
socket.on('message', (data) => {
  console.log(`< ${data}`)
  const frame = JSON.parse(data.toString())
  if (frame.err) fail(frame.err)
  if (frame.authenticated) send({ subscribe: { channel } })
  if (frame.subscribed) send({ broadcast: { event: 'greeting', channel, data: { text: 'hello from examples/webrocket.mjs' } } })
  if (frame.broadcasted) acked = true
  if (frame.event === 'greeting') delivered = true
  if (acked && delivered) {
    console.log('done: received the broadcast')
    socket.removeAllListeners('close')
    socket.close()
  }
})
