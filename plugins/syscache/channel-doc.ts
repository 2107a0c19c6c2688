import type { SyscacheConfig } from '../../src/config/schema.js'
import { frameDocs, type FrameTexts, type SocketChannel } from '../../src/http/docs/socket-channel.js'
import { ClientFrames, ServerFrames } from './messages.js'

/**
 * The syscache endpoint for the AsyncAPI document: every frame of messages.ts with an example
 * that works against the default config (user `admin` / `change-me`, no backend).
 */

const clientFrames: FrameTexts<typeof ClientFrames> = {
  auth: {
    title: 'rpc/auth',
    summary: 'Log in with a username and password; the reply carries a token for rpc/auth_token.',
    examples: [{ name: 'login', summary: 'The default config\'s user', payload: { namespace: 'rpc', name: 'auth', id: '1', args: { username: 'admin', password: 'change-me' } } }],
  },
  authToken: {
    title: 'rpc/auth_token',
    summary: 'Log in again with the token an earlier rpc/auth returned (on this or a new socket).',
    examples: [{ name: 'resume', summary: 'Put the token of the rpc/auth reply in args.token', payload: { namespace: 'rpc', name: 'auth_token', id: '2', args: { token: 'Yh3kQ9sL2mPz8RtV4wXb' } } }],
  },
  authClear: {
    title: 'rpc/auth_clear',
    summary: 'Log out: the token stops working on every node. No reply.',
    examples: [{ name: 'logout', payload: { namespace: 'rpc', name: 'auth_clear', id: '3', args: {} } }],
  },
  identify: {
    title: 'rpc/identify',
    summary: 'Ask what answers; needs no token.',
    examples: [{ name: 'identify', payload: { namespace: 'rpc', name: 'identify', id: '4', args: {} } }],
  },
  query: {
    title: 'rpc/query',
    summary: 'Which classes the caller may use, and how (read or read/write).',
    examples: [{ name: 'query', payload: { namespace: 'rpc', name: 'query', id: '5', args: {} } }],
  },
  subscribe: {
    title: 'events/subscribe',
    summary: 'Listen to event types (dispatcher, life-preserver, system-state); the last event of each comes at once.',
    examples: [{ name: 'subscribe', payload: { namespace: 'events', name: 'subscribe', id: '6', args: ['dispatcher', 'system-state'] } }],
  },
  unsubscribe: {
    title: 'events/unsubscribe',
    summary: 'Stop listening to event types.',
    examples: [{ name: 'unsubscribe', payload: { namespace: 'events', name: 'unsubscribe', id: '7', args: 'dispatcher' } }],
  },
  sysadm: {
    title: 'sysadm/<class>',
    summary: 'Call a class with an action; sysadm/systemmanager (memorystats, cpupercentage, procinfo, systeminfo) is built in, others go to the backend.',
    examples: [{ name: 'memorystats', summary: 'The built-in class', payload: { namespace: 'sysadm', name: 'systemmanager', id: '8', args: { action: 'memorystats' } } }],
  },
  rpcClass: {
    title: 'rpc/<class>',
    summary: 'Any other rpc name is forwarded to the backend (protocols.syscache.backendUrl); without one the answer is 404.',
    examples: [{ name: 'dispatcher', summary: 'Needs a backend (and an admin: rpc/dispatcher is fullAccessOnly)', payload: { namespace: 'rpc', name: 'dispatcher', id: '9', args: { action: 'list' } } }],
  },
}

const serverFrames: FrameTexts<typeof ServerFrames> = {
  authReply: {
    title: 'rpc/auth reply',
    summary: 'The token and its lifetime in seconds (tokenLifetime; each request slides it).',
    examples: [{ name: 'token', payload: { namespace: 'rpc', name: 'response', id: '1', args: ['Yh3kQ9sL2mPz8RtV4wXb', 300] } }],
  },
  identifyReply: {
    title: 'rpc/identify reply',
    summary: 'The server and its host name.',
    examples: [{ name: 'server', payload: { namespace: 'rpc', name: 'response', id: '4', args: { type: 'server', hostname: 'switchboard' } } }],
  },
  queryReply: {
    title: 'rpc/query reply',
    summary: '"<namespace>/<name>" → "read" or "read/write".',
    examples: [{ name: 'classes', payload: { namespace: 'rpc', name: 'response', id: '5', args: { 'sysadm/systemmanager': 'read/write' } } }],
  },
  eventsReply: {
    title: 'events/subscribe or events/unsubscribe reply',
    summary: 'The last valid type named, or {} when none was.',
    examples: [{ name: 'subscribed', payload: { namespace: 'events', name: 'response', id: '6', args: { subscribe: 'system-state' } } }],
  },
  classReply: {
    title: 'class reply',
    summary: 'What the class answered (sysadm/<class> or a forwarded rpc/<class>).',
    examples: [{ name: 'memorystats', payload: { namespace: 'sysadm', name: 'response', id: '8', args: { memorystats: { total: 7936, free: 2101, used: 5835, unit: 'MB' } } } }],
  },
  error: {
    title: 'error',
    summary: 'Any refusal, whatever the request namespace: 400, 401, 403, 404, 500, 503 or a backend 4xx.',
    examples: [{ name: 'unauthorized', summary: 'A request that needs a token, sent before rpc/auth', payload: { namespace: 'rpc', name: 'error', id: '5', args: { code: 401, message: 'Unauthorized' } } }],
  },
  legacyEvent: {
    title: 'event (eventFormat: legacy, the default)',
    summary: 'An event pushed to a subscriber of its type (POST /api/syscache/events/{type}).',
    examples: [{ name: 'dispatcher', payload: { namespace: 'events', name: 'event', id: '', args: { name: 'dispatcher', args: { state: 'running' } } } }],
  },
  typedEvent: {
    title: 'event (eventFormat: typed)',
    summary: 'The same push when protocols.syscache.eventFormat is typed: the type is the frame\'s name.',
    examples: [{ name: 'system-state', payload: { namespace: 'events', name: 'system-state', id: '', args: { state: 'running' } } }],
  },
}

export function syscacheChannel (config: SyscacheConfig): SocketChannel {
  return {
    id: 'syscache',
    title: 'syscache (sysadm)',
    description: 'The sysadm / syscache API: every frame, both ways, is one JSON object {namespace, name, id, args}. ' +
      'Replies echo the request id; event pushes have id "".',
    address: config.path,
    token: {
      description: 'No REST step: log in inside the socket with rpc/auth (a user\'s username and password; the default config has admin / change-me). ' +
        'The reply carries a 20-character token, valid protocols.syscache.tokenLifetime and slid by every request, that rpc/auth_token accepts on a later socket.',
      operation: null,
    },
    receive: frameDocs(ClientFrames, clientFrames),
    send: frameDocs(ServerFrames, serverFrames),
  }
}
