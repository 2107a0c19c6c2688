import { io } from 'socket.io-client'
import t from 'tap'
import { socketChannels } from '../../../src/app.js'
import { startApp, request } from '../../helpers/app.js'
import { serverFrames } from '../../helpers/server-frames.js'
import { WsClient } from '../../helpers/ws-client.js'

// The AsyncAPI examples are meant to be copied: sent as they are (a token pasted in where the
// example says so) to a server with the default credentials, they get the documented replies.
type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

// The default config's user (testConfig has its own): what the examples log in with.
const DEFAULT_ADMIN = { username: 'admin', password: 'change-me', email: null, admin: true }

t.test('the examples work as documented', async (t) => {
  const { url, wsUrl, app } = await startApp(t, { users: [DEFAULT_ADMIN] })
  const channels = socketChannels(app.services.config.protocols)
  /** The first example of a frame of a channel, as the document shows it. */
  const example = (channel: string, frame: string): Json => {
    const found = channels.find((c) => c.id === channel)!
    return structuredClone([...found.receive, ...found.send].find((f) => f.name === frame)!.examples[0]!.payload) as Json
  }

  t.test('syscache: rpc/auth with the default user, then the built-in class', async (t) => {
    const client = await WsClient.connect(`${wsUrl}/syscache`, {}, serverFrames('syscache'))
    t.teardown(() => client.close())
    const auth = await client.request(example('syscache', 'auth'))
    t.match(auth, { namespace: 'rpc', name: 'response', id: '1', args: [String, Number] })
    const stats = await client.request(example('syscache', 'sysadm'))
    t.match(stats, { namespace: 'sysadm', name: 'response', id: '8', args: { memorystats: { unit: 'MB' } } })
  })

  t.test('webrocket: joe / s3cret on /echo, subscribe, broadcast', async (t) => {
    const client = await WsClient.connect(`${wsUrl}/webrocket/echo`, {}, serverFrames('webrocket'))
    t.teardown(() => client.close())
    t.same(await client.request(example('webrocket', 'authenticate')), example('webrocket', 'authenticated'))
    t.same(await client.request(example('webrocket', 'subscribe')), example('webrocket', 'subscribed'))
    client.send(example('webrocket', 'broadcast'))
    const replies = [await client.json(), await client.json()]
    t.same(replies.sort((a, b) => Object.keys(a).length - Object.keys(b).length), [example('webrocket', 'broadcasted'), example('webrocket', 'delivery')])
  })

  t.test('telegraphy: an auth token from the REST operation, CONNECT, SUBSCRIBE', async (t) => {
    const login = await request(url, 'POST', '/api/auth/login', { body: { username: 'admin', password: 'change-me' } })
    const issued = await request(url, 'POST', '/api/telegraphy/auth-tokens', { token: login.body.access_token })
    t.equal(issued.status, 201)
    const client = await WsClient.connect(`${wsUrl}/telegraphy`, {}, serverFrames('telegraphy'))
    t.teardown(() => client.close())
    const connect = example('telegraphy', 'connect')
    connect.args.auth_token = issued.body.auth_token
    t.match(await client.request(connect), { success: true, status: 'CONNECTED', id: 1 })
    t.same(await client.request(example('telegraphy', 'subscribe')), example('telegraphy', 'subscription'))
  })

  t.test('really: an anonymous token, initialize, ping, create and get', async (t) => {
    const token = await request(url, 'POST', '/auth/anonymous/', { body: {} })
    const client = await WsClient.connect(`${wsUrl}/v0.1/socket`, {}, serverFrames('really'))
    t.teardown(() => client.close())
    const initialize = example('really', 'initialize')
    initialize.accessToken = token.body.accessToken
    t.match(await client.request(initialize), { tag: 1, evt: 'initialized', body: { authType: 'anonymous' } })
    t.same(await client.request(example('really', 'ping')), example('really', 'pinged'))
    // The default model /messages/: create, then get it by the R the reply names.
    const created = await client.request(example('really', 'create'))
    t.match(created, { tag: 3, r: /^\/messages\/\d+\/$/, body: { _rev: 1, text: 'hello' } })
    const get = { ...example('really', 'get'), r: created.r }
    t.same(await client.request(get), { ...example('really', 'got'), r: created.r, body: { ...example('really', 'got').body, _r: created.r } })
    const unknown = { ...example('really', 'create'), r: '/users/' }
    t.same(await client.request(unknown), example('really', 'error'), 'a collection with no model: as the error example says')
  })

  t.test('das: an OAuth token for das_web_client, authorization, echo', async (t) => {
    const token = await request(url, 'POST', '/oauth2/token', { form: { grant_type: 'password', username: 'admin', password: 'change-me', client_id: 'das_web_client' } })
    t.equal(token.status, 200)
    const socket = io(`${url}/das`, { path: '/socket.io/', transports: ['websocket'], reconnection: false, forceNew: true })
    t.teardown(() => socket.close())
    const reply = (event: string): Promise<Json> => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event}`)), 5000)
      socket.once(event, (payload: Json) => { clearTimeout(timer); resolve(payload) })
    })
    const authorization = example('das', 'authorization')
    authorization.authorization = `Bearer ${token.body.access_token}`
    const authorized = reply('resp_authorization')
    socket.emit('authorization', authorization)
    t.same(await authorized, example('das', 'resp_authorization'))
    const echoed = reply('echo_resp')
    socket.emit('echo', example('das', 'echo'))
    t.same(await echoed, example('das', 'echo_resp'))
  })
})
