import type { ReallyConfig } from '../../src/config/schema.js'
import { frameDocs, type FrameTexts, type SocketChannel } from '../../src/http/docs/socket-channel.js'
import { ClientFrames, ServerFrames } from './messages.js'

/**
 * The Really endpoint for the AsyncAPI document: every frame of messages.ts with an example.
 * `initialize` and `ping` work against the default config; the object commands need a model
 * (`protocols.really.models`, here `/users/` with a string field `name`): without one they get
 * `404 model.unknown`, which the examples say.
 */

const NEEDS_MODEL = 'Needs a model /users/ with a string field name in protocols.really.models (without one: 404 model.unknown)'
const anonymous = { authType: 'anonymous', uid: '4811738211530241', data: {} }
const ada = { _r: '/users/1/', _rev: 1, name: 'Ada' }

const clientFrames: FrameTexts<typeof ClientFrames> = {
  initialize: {
    title: 'initialize',
    summary: 'The first frame: authenticates the socket with an access token (POST /auth/anonymous/ or /auth/password/login/).',
    examples: [{ name: 'initialize', summary: 'Put the accessToken of POST /auth/anonymous/ (or /auth/password/login/)', payload: { tag: 1, cmd: 'initialize', accessToken: 'PASTE-THE-ACCESS-TOKEN' } }],
  },
  ping: { title: 'ping', summary: 'Is the socket alive?', examples: [{ name: 'ping', payload: { tag: 2, cmd: 'ping' } }] },
  create: {
    title: 'create',
    summary: 'Create an object in a collection.',
    examples: [{ name: 'user', summary: NEEDS_MODEL, payload: { tag: 3, cmd: 'create', r: '/users/', body: { name: 'Ada' } } }],
  },
  get: {
    title: 'get',
    summary: 'Read one object (the fields asked for, or all).',
    examples: [{ name: 'user', summary: NEEDS_MODEL, payload: { tag: 4, cmd: 'get', r: '/users/1/', cmdOpts: { fields: ['name'] } } }],
  },
  update: {
    title: 'update',
    summary: 'Change fields of an object at a revision (ops set or addNumber).',
    examples: [{ name: 'rename', summary: NEEDS_MODEL, payload: { tag: 5, cmd: 'update', r: '/users/1/', rev: 1, body: { ops: [{ op: 'set', key: 'name', value: 'Ada L.' }] } } }],
  },
  delete: {
    title: 'delete',
    summary: 'Delete an object.',
    examples: [{ name: 'user', summary: NEEDS_MODEL, payload: { tag: 6, cmd: 'delete', r: '/users/1/' } }],
  },
  read: {
    title: 'read',
    summary: 'Query a collection (filter, pages, count); subscribe to be told of new objects.',
    examples: [{ name: 'users', summary: NEEDS_MODEL, payload: { tag: 7, cmd: 'read', r: '/users/', cmdOpts: { limit: 10, subscribe: true } } }],
  },
  subscribe: {
    title: 'subscribe',
    summary: 'Be told of changes to objects from a revision on.',
    examples: [{ name: 'user', summary: NEEDS_MODEL, payload: { tag: 8, cmd: 'subscribe', body: { subscriptions: [{ r: '/users/1/', rev: 1 }] } } }],
  },
  unsubscribe: {
    title: 'unsubscribe',
    summary: 'Stop being told of changes.',
    examples: [{ name: 'user', payload: { tag: 9, cmd: 'unsubscribe', body: { subscriptions: ['/users/1/'] } } }],
  },
}

const serverFrames: FrameTexts<typeof ServerFrames> = {
  error: {
    title: 'error',
    summary: 'A refused request, with its tag (none when the request had no usable tag).',
    examples: [{ name: 'modelUnknown', summary: 'create with no model for the collection', payload: { tag: 3, r: '/users/', error: { code: 404, message: 'model.unknown' } } }],
  },
  initialized: {
    title: 'initialized',
    summary: 'initialize accepted: the connection handle and who the token is.',
    examples: [{ name: 'anonymous', payload: { tag: 1, evt: 'initialized', body: { 'connection-handle': '17', user: anonymous, ...anonymous } } }],
  },
  pinged: { title: 'pinged', summary: 'The ping reply.', examples: [{ name: 'pinged', payload: { tag: 2, evt: 'pinged' } }] },
  created: { title: 'create reply', summary: 'The new object.', examples: [{ name: 'user', payload: { tag: 3, r: '/users/1/', body: ada } }] },
  got: { title: 'get reply', summary: 'The object and the fields returned.', examples: [{ name: 'user', payload: { tag: 4, r: '/users/1/', body: ada, meta: { fields: ['name'] } } }] },
  updated: { title: 'update reply', summary: 'The object\'s new revision.', examples: [{ name: 'renamed', payload: { tag: 5, r: '/users/1/', rev: 2 } }] },
  deleted: { title: 'delete reply', summary: 'The object is gone.', examples: [{ name: 'user', payload: { tag: 6, r: '/users/1/' } }] },
  readReply: {
    title: 'read reply',
    summary: 'The objects found; meta.subscription when subscribe was asked.',
    examples: [{ name: 'users', payload: { tag: 7, r: '/users/*/', body: { items: [{ body: ada, meta: { fields: ['name'] } }] }, meta: { subscription: '/users/*/' } } }],
  },
  subscriptions: {
    title: 'subscribe / unsubscribe reply',
    summary: 'The Rs now subscribed (or unsubscribed).',
    examples: [{ name: 'user', payload: { tag: 8, body: { subscriptions: ['/users/1/'] } } }],
  },
  updatedPush: {
    title: 'updated (push)',
    summary: 'A subscribed object changed.',
    examples: [{ name: 'renamed', payload: { r: '/users/1/', rev: 2, evt: 'updated', body: { name: { op: 'set', opValue: 'Ada L.', value: 'Ada L.' } }, meta: { opBy: anonymous } } }],
  },
  deletedPush: {
    title: 'deleted (push)',
    summary: 'A subscribed object was deleted.',
    examples: [{ name: 'user', payload: { r: '/users/1/', rev: 3, evt: 'deleted', meta: { opBy: anonymous } } }],
  },
  createdPush: {
    title: 'created (push)',
    summary: 'An object was created in a collection read with subscribe.',
    examples: [{ name: 'user', payload: { r: '/users/*/', evt: 'created', body: { _r: '/users/2/', _rev: 1, name: 'Grace' }, meta: { opBy: anonymous } } }],
  },
  snapshotPush: {
    title: 'snapshot (push)',
    summary: 'The change log no longer reaches the subscribed revision: the object as it is now.',
    examples: [{ name: 'user', payload: { r: '/users/1/', rev: 9, evt: 'snapshot', body: { _r: '/users/1/', _rev: 9, name: 'Ada' } } }],
  },
  failedPush: {
    title: 'failed (push)',
    summary: 'A subscription could not start or stopped.',
    examples: [{ name: 'missing', payload: { r: '/users/9/', evt: 'failed', error: { code: 404, message: 'object.missing' } } }],
  },
  kicked: {
    title: 'kicked',
    summary: 'Idle past idleTimeout, or not initialized within authWindow; the socket closes.',
    examples: [{ name: 'idle', payload: { evt: 'kicked', error: { code: 408, message: 'socket.idle' } } }],
  },
  tokenExpired: {
    title: 'token-expired',
    summary: 'The access token expired; the socket closes.',
    examples: [{ name: 'expired', payload: { evt: 'token-expired' } }],
  },
}

export function reallyChannel (config: ReallyConfig): SocketChannel {
  const [only, ...more] = config.versions
  const versioned = more.length === 0 && only !== undefined
  return {
    id: 'really',
    title: 'Really.io',
    description: 'Requests are {tag, cmd, …}; replies carry the request\'s tag, pushes carry evt and no tag. ' +
      'initialize first, with an access token; objects are named by R paths such as /users/1/.',
    address: versioned ? `${config.prefix}/${only}/socket` : `${config.prefix}/{version}/socket`,
    parameters: versioned ? undefined : { version: { description: 'A protocol version (protocols.really.versions).', enum: config.versions } },
    token: {
      description: `POST ${config.prefix}/auth/password/login/ with {username, password} (or {email, password}) for a password accessToken, or POST ${config.prefix}/auth/anonymous/ ` +
        'for an anonymous one; send it in initialize.',
      operation: { operationId: 'reallyPasswordLogin', method: 'POST', path: `${config.prefix}/auth/password/login/` },
    },
    receive: frameDocs(ClientFrames, clientFrames),
    send: frameDocs(ServerFrames, serverFrames),
  }
}
