import type { WebrocketConfig } from '../../src/config/schema.js'
import { frameDocs, type FrameTexts, type SocketChannel } from '../../src/http/docs/socket-channel.js'
import { ClientFrames, ServerFrames } from './messages.js'

/**
 * The WebRocket endpoint for the AsyncAPI document: every frame of messages.ts with an example
 * that works against the default config (vhost `/echo`, user `joe` / `s3cret` with READ and WRITE).
 */

const clientFrames: FrameTexts<typeof ClientFrames> = {
  authenticate: {
    title: 'authenticate',
    summary: 'Log in as a user of this vhost (vhost users are not server users).',
    examples: [{ name: 'joe', summary: 'The default config\'s user of /echo', payload: { authenticate: { user: 'joe', secret: 's3cret' } } }],
  },
  subscribe: {
    title: 'subscribe',
    summary: 'Receive what is broadcast on a channel (READ; a channel that does not exist yet is created).',
    examples: [{ name: 'hello', payload: { subscribe: { channel: 'hello' } } }],
  },
  unsubscribe: {
    title: 'unsubscribe',
    summary: 'Stop receiving a channel.',
    examples: [{ name: 'hello', payload: { unsubscribe: { channel: 'hello' } } }],
  },
  broadcast: {
    title: 'broadcast',
    summary: 'Send to every subscriber of a channel (WRITE); the object is delivered as it is, extra keys too.',
    examples: [{ name: 'greeting', payload: { broadcast: { channel: 'hello', event: 'greeting', data: { text: 'hi' } } } }],
  },
  trigger: {
    title: 'trigger',
    summary: 'Ask the backend (protocols.webrocket.triggerUrl) to handle an event; without one the answer is ASSIGNATION_FAILED.',
    examples: [{ name: 'resize', summary: 'Needs a trigger backend', payload: { trigger: { event: 'resize', data: { width: 640 } } } }],
  },
  logout: {
    title: 'logout',
    summary: 'Log out; the socket stays open.',
    examples: [{ name: 'logout', payload: { logout: true } }],
  },
  disconnect: {
    title: 'disconnect',
    summary: 'Close the socket; no reply.',
    examples: [{ name: 'disconnect', payload: { disconnect: true } }],
  },
}

const serverFrames: FrameTexts<typeof ServerFrames> = {
  authenticated: { title: 'authenticated', summary: 'Logged in, as this user.', examples: [{ name: 'joe', payload: { authenticated: 'joe' } }] },
  subscribed: { title: 'subscribed', summary: 'Subscribed to this channel.', examples: [{ name: 'hello', payload: { subscribed: 'hello' } }] },
  unsubscribed: { title: 'unsubscribed', summary: 'No longer subscribed to this channel.', examples: [{ name: 'hello', payload: { unsubscribed: 'hello' } }] },
  broadcasted: { title: 'broadcasted', summary: 'The broadcast went out on this channel.', examples: [{ name: 'hello', payload: { broadcasted: 'hello' } }] },
  triggered: { title: 'triggered', summary: 'The backend accepted the event.', examples: [{ name: 'resize', payload: { triggered: 'resize' } }] },
  loggedOut: { title: 'loggedOut', summary: 'Logged out.', examples: [{ name: 'loggedOut', payload: { loggedOut: true } }] },
  error: {
    title: 'error',
    summary: 'A refusal, by its error id.',
    examples: [
      { name: 'accessDenied', summary: 'A request before authenticate', payload: { err: 'ACCESS_DENIED' } },
      { name: 'assignationFailed', summary: 'A trigger with no backend', payload: { err: 'ASSIGNATION_FAILED' } },
    ],
  },
  triggerRejected: {
    title: 'TRIGGER_REJECTED',
    summary: 'The trigger backend refused with a 4xx of its own (not 403 or 404).',
    examples: [{ name: 'conflict', payload: { err: 'TRIGGER_REJECTED', status: 409 } }],
  },
  undefinedEvent: {
    title: 'UNDEFINED_EVENT',
    summary: 'A frame whose one key is no event of the protocol.',
    examples: [{ name: 'bogus', payload: { err: 'UNDEFINED_EVENT', event: 'bogus' } }],
  },
  delivery: {
    title: 'delivery',
    summary: 'A broadcast on a subscribed channel: the broadcaster\'s object as it sent it.',
    examples: [{ name: 'greeting', payload: { channel: 'hello', event: 'greeting', data: { text: 'hi' } } }],
  },
}

export function webrocketChannel (config: WebrocketConfig): SocketChannel {
  const vhosts = Object.keys(config.vhosts).map((path) => path.slice(1))
  return {
    id: 'webrocket',
    title: 'WebRocket',
    description: 'One socket per vhost. Every frame, both ways, is a JSON object with one key, the event: {"<event>": data}. ' +
      'Authenticate first, then subscribe, broadcast or trigger.',
    address: `${config.prefix.replace(/\/$/, '')}/{vhost}`,
    parameters: {
      vhost: { description: 'The vhost\'s path without its leading slash (protocols.webrocket.vhosts, or the REST routes under /api/webrocket/vhosts).', examples: vhosts },
    },
    token: {
      description: 'No token: the authenticate frame carries the name and secret of a user of the vhost (the default config: vhost /echo, user joe, secret s3cret). ' +
        'Vhost users are managed in protocols.webrocket.vhosts or with POST /api/webrocket/vhosts/{vhost}/users.',
      operation: null,
    },
    receive: frameDocs(ClientFrames, clientFrames),
    send: frameDocs(ServerFrames, serverFrames),
  }
}
