// The console page: wires the form controls to the AsyncAPI channels, the REST calls and the
// socket. State lives in this module (and the access token in sessionStorage, so a reload keeps
// the login); nothing is sent anywhere but this server.
import { startAdmin } from './admin.js'
import { channelsOf, pathOf, withToken } from './channels.js'
import { frameLog } from './log.js'
import { logIn, TOKEN_SOURCES } from './rest.js'
import { openSocket } from './sockets.js'

const $ = (id) => document.getElementById(id)
const log = frameLog($('log'))

const session = { accessToken: sessionStorage.getItem('switchboard.accessToken'), username: '', password: '' }
const tokens = new Map() // channel id → its protocol token
let channels = []
let socket = null

const admin = startAdmin({ $, log, accessToken: () => session.accessToken })

const current = () => channels.find((c) => c.id === $('channel').value)
const isSocketIo = (channel) => channel.namespace !== null

function showLogin () {
  $('login-state').value = session.accessToken ? `logged in as ${sessionStorage.getItem('switchboard.username')}` : 'not logged in'
}

$('login').addEventListener('submit', async (event) => {
  event.preventDefault()
  session.username = $('username').value
  session.password = $('password').value
  try {
    const reply = await logIn(log, session.username, session.password)
    session.accessToken = reply.access_token
    sessionStorage.setItem('switchboard.accessToken', reply.access_token)
    sessionStorage.setItem('switchboard.username', session.username)
    log.note(`logged in as ${session.username}; the access token lasts ${reply.expires_in} s`)
  } catch (err) {
    // A failed login ends the previous one: the page never shows a user it could not log in.
    session.accessToken = null
    sessionStorage.removeItem('switchboard.accessToken')
    log.note(err.message, true)
  }
  showLogin()
  admin.showCredentials()
})

/** Address, parameters, token buttons and templates of the chosen channel. */
function showChannel () {
  const channel = current()
  $('parameters').replaceChildren(...channel.parameters.map((parameter) => {
    const label = document.createElement('label')
    label.title = parameter.description
    const input = document.createElement('input')
    input.id = `parameter-${parameter.name}`
    input.value = parameter.value
    input.addEventListener('input', () => { parameter.value = input.value; showAddress() })
    // The values the document lists (WebRocket: the configured vhosts) as suggestions.
    const choices = document.createElement('datalist')
    choices.id = `${input.id}-choices`
    input.setAttribute('list', choices.id)
    choices.append(...parameter.choices.map((value) => Object.assign(document.createElement('option'), { value })))
    label.append(`${parameter.name} `, input, choices)
    return label
  }))
  showAddress()

  const op = channel.token
  const sources = TOKEN_SOURCES[channel.id] ?? []
  $('token-how').textContent = channel.tokenDescription || (op
    ? `Token from ${op.method} ${op.path}${op.operationId ? ` (${op.operationId})` : ''}.`
    : 'No token: this protocol authenticates inside the socket (see the templates).')
  $('token-buttons').replaceChildren(...sources.map((source) => {
    const button = document.createElement('button')
    button.type = 'button'
    button.textContent = source.label
    button.addEventListener('click', () => fetchToken(channel, source))
    return button
  }))
  $('token').value = tokens.get(channel.id) ?? ''

  $('template').replaceChildren(...channel.templates.map((template, index) => {
    const option = document.createElement('option')
    option.value = String(index)
    option.textContent = template.label
    return option
  }))
  $('event-label').hidden = !isSocketIo(channel)
  fillTemplate()
}

function showAddress () {
  const channel = current()
  const values = Object.fromEntries(channel.parameters.map((p) => [p.name, p.value]))
  $('address').textContent = isSocketIo(channel)
    ? `Socket.IO ${location.origin}${channel.namespace} (path ${channel.address})`
    : `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${pathOf(channel, values)}`
}

async function fetchToken (channel, source) {
  if (source.needsLogin && !session.accessToken) {
    log.note('log in first: this token is issued for the logged-in user', true)
    return
  }
  session.username = $('username').value
  session.password = $('password').value
  try {
    tokens.set(channel.id, await source.fetch(log, session))
    log.note(`${channel.id} token received`)
  } catch (err) {
    log.note(err.message, true)
  }
  if (current() === channel) {
    $('token').value = tokens.get(channel.id) ?? ''
    fillTemplate()
  }
}

/** The chosen template in the textarea, with the channel's token where the frame carries one. */
function fillTemplate () {
  const channel = current()
  const template = channel.templates[Number($('template').value)]
  if (template === undefined) return
  $('frame').value = JSON.stringify(withToken(template.payload, tokens.get(channel.id)).payload, null, 2)
  $('event').value = template.event
  $('template-summary').textContent = template.summary
}

function send (text, event) {
  const channel = current()
  try {
    socket.send(text, event)
    log.out(isSocketIo(channel) ? `${event} ${text}` : text)
  } catch (err) {
    log.note(`not sent: ${err.message}`, true)
  }
}

function setOpen (open) {
  $('open').disabled = open
  $('close').disabled = !open
  $('send').disabled = !open
  $('channel').disabled = open
  $('socket-state').value = open ? 'open' : 'closed'
}

$('open').addEventListener('click', () => {
  const channel = current()
  const values = Object.fromEntries(channel.parameters.map((p) => [p.name, p.value]))
  const path = isSocketIo(channel) ? channel.address : pathOf(channel, values)
  log.note(`opening ${channel.id} ${isSocketIo(channel) ? `${channel.namespace} (path ${path})` : path}`)
  $('open').disabled = true
  $('socket-state').value = 'opening'
  const opened = openSocket({ path, namespace: channel.namespace }, {
    open: () => {
      setOpen(true)
      log.note('open')
      // Some windows are short (DAS must authorize within 1 s by default): the frame that
      // carries the token goes out at once rather than at the speed of a hand.
      const token = tokens.get(channel.id)
      if (!$('auto-auth').checked || !token) return
      const authenticating = channel.templates.map((t) => ({ event: t.event, ...withToken(t.payload, token) })).find((t) => t.used)
      if (authenticating) send(JSON.stringify(authenticating.payload), authenticating.event)
    },
    frame: (text) => log.in(text),
    note: (text) => log.note(text),
    closed: (why) => {
      log.note(why, true)
      // Only the socket still in use: a socket closed earlier may report after a new one opened.
      if (socket === opened) {
        socket = null
        setOpen(false)
      }
    },
  })
  socket = opened
})

$('close').addEventListener('click', () => socket?.close())
$('send').addEventListener('click', () => send($('frame').value, $('event').value))
$('channel').addEventListener('change', showChannel)
$('template').addEventListener('change', fillTemplate)
$('clear').addEventListener('click', () => log.clear())

async function start () {
  showLogin()
  try {
    const response = await fetch('/docs/asyncapi.json')
    if (!response.ok) throw new Error(`GET /docs/asyncapi.json → ${response.status}`)
    channels = channelsOf(await response.json())
  } catch (err) {
    log.note(`cannot read the socket protocols: ${err.message}`, true)
    return
  }
  $('channel').replaceChildren(...channels.map((channel) => {
    const option = document.createElement('option')
    option.value = channel.id
    option.textContent = channel.title === channel.id ? channel.id : `${channel.id} (${channel.title})`
    return option
  }))
  showChannel()
  document.body.dataset.ready = 'true'
}

start()
