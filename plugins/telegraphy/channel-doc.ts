import type { TelegraphyConfig } from '../../src/config/schema.js'
import { frameDocs, type FrameTexts, type SocketChannel } from '../../src/http/docs/socket-channel.js'
import { ClientFrames, ServerFrames } from './messages.js'

/**
 * The Telegraphy endpoint for the AsyncAPI document: every frame of messages.ts with an example
 * that works against the default config (no registered events, so SUBSCRIBE is `lazy`).
 */

const subscription = { event_name: 'demo.Item', filters: null, permanent: false, lazy: true }

const clientFrames: FrameTexts<typeof ClientFrames> = {
  connect: {
    title: 'CONNECT',
    summary: 'Start the session with a one-time auth token (POST /api/telegraphy/auth-tokens); the reply carries a session token for RECONNECT.',
    examples: [{ name: 'connect', summary: 'Put the auth_token of POST /api/telegraphy/auth-tokens in args (it lives authTokenTtl, 5 s by default)', payload: { message: 'CONNECT', id: 1, args: { auth_token: 'PASTE-THE-AUTH-TOKEN' } } }],
  },
  reconnect: {
    title: 'RECONNECT',
    summary: 'Resume a dropped session (within reconnectWindow) with its session token, subscriptions included.',
    examples: [{ name: 'reconnect', summary: 'Put the session_token of the CONNECT reply', payload: { message: 'RECONNECT', id: 1, session_token: 'PASTE-THE-SESSION-TOKEN' } }],
  },
  subscribe: {
    title: 'SUBSCRIBE',
    summary: 'Receive an event (only data matching the filters, when given); lazy subscribes to a name not registered yet.',
    examples: [{ name: 'demo', summary: 'lazy: the default config registers no events', payload: { message: 'SUBSCRIBE', id: 2, args: { event_name: 'demo.Item', lazy: true } } }],
  },
  unsubscribe: {
    title: 'UNSUBSCRIBE',
    summary: 'Stop receiving an event (the subscription with the same filters).',
    examples: [{ name: 'demo', payload: { message: 'UNSUBSCRIBE', id: 3, args: { event_name: 'demo.Item' } } }],
  },
}

const serverFrames: FrameTexts<typeof ServerFrames> = {
  connected: {
    title: 'CONNECTED',
    summary: 'CONNECT accepted: the session token RECONNECT takes back.',
    examples: [{ name: 'connected', payload: { success: true, status: 'CONNECTED', id: 1, data: { session_token: 'b1f0c7e2a9d84f6b8e3a5c1d2f4e6a8b' } } }],
  },
  reconnected: {
    title: 'CONNECTED (RECONNECT)',
    summary: 'RECONNECT accepted, with the subscriptions the session still has.',
    examples: [{ name: 'reconnected', payload: { success: true, status: 'CONNECTED', message: 'CONNECTED', id: 1, subscriptions: [subscription], data: { subscriptions: [subscription] } } }],
  },
  subscription: {
    title: 'SUBSCRIBED / UNSUBSCRIBED',
    summary: 'SUBSCRIBE or UNSUBSCRIBE accepted.',
    examples: [{ name: 'subscribed', payload: { success: true, status: 'SUBSCRIBED', id: 2, data: { event_name: 'demo.Item' } } }],
  },
  failure: {
    title: 'failure',
    summary: 'A refusal, by status; id is null when the request had no integer id or there was no request (CONNECT_TIMEOUT).',
    examples: [
      { name: 'notRegistered', summary: 'SUBSCRIBE to an unregistered name without lazy', payload: { success: false, status: 'EVENT_NOT_REGISTERED', id: 2, data: { message: 'event is not registered', event_name: 'demo.Item' } } },
      { name: 'invalidToken', summary: 'CONNECT with a used or expired auth token', payload: { success: false, status: 'INVALID_TOKEN', id: 1, data: { message: 'auth token is unknown, used or expired' } } },
    ],
  },
  event: {
    title: 'event',
    summary: 'An event pushed to its subscribers (POST /api/telegraphy/events); no reply expected.',
    examples: [{ name: 'demo', payload: { event: 'demo.Item', name: 'demo.Item', meta: { event_type: 'custom', verbose_name: 'demo.Item', timestamp: '2026-01-01T12:00:00.000Z' }, data: { id: 1, state: 'new' } } }],
  },
}

export function telegraphyChannel (config: TelegraphyConfig): SocketChannel {
  return {
    id: 'telegraphy',
    title: 'Telegraphy',
    description: 'Requests are {message, id, args} with an integer id; replies are {success, status, id, data}; events are {event, name, meta, data}. ' +
      'CONNECT within protocols.telegraphy.connectTimeout, then SUBSCRIBE.',
    address: config.path,
    token: {
      description: 'Log in (POST /api/auth/login) for a Bearer access token, then POST /api/telegraphy/auth-tokens with it: a one-time auth_token that lives ' +
        'protocols.telegraphy.authTokenTtl (5 s by default), so send CONNECT right away. GET /telegraphy/get_token/ hands out the same (upstream-compatible).' +
        (config.requireAuth ? '' : ' With requireAuth off, CONNECT needs no valid token.'),
      operation: { operationId: 'issueTelegraphyAuthToken', method: 'POST', path: '/api/telegraphy/auth-tokens' },
    },
    receive: frameDocs(ClientFrames, clientFrames),
    send: frameDocs(ServerFrames, serverFrames),
  }
}
