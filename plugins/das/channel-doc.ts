import type { DasConfig } from '../../src/config/schema.js'
import { frameDocs, type FrameTexts, type FrameExample, type SocketChannel } from '../../src/http/docs/socket-channel.js'
import { ClientEvents, DATA_EVENT_TYPES, ServerEvents, UNTRACED_TYPES, type DataEventType } from './messages.js'

/**
 * The DAS endpoint for the AsyncAPI document: every Socket.IO event of messages.ts (the event
 * name, its one argument as the payload) with an example that works against the default config.
 */

const clientEvents: FrameTexts<typeof ClientEvents> = {
  authorization: {
    title: 'authorization',
    summary: 'Authenticate the socket (within authWindow) with an OAuth access token as an HTTP Authorization value.',
    examples: [{ name: 'bearer', summary: 'Put the access_token of POST /oauth2/token after "Bearer "', payload: { type: 'authorization', id: 1, authorization: 'Bearer PASTE-THE-ACCESS-TOKEN' } }],
  },
  bbox: {
    title: 'bbox',
    summary: 'Only receive what lies in "west,south,east,north"; an empty string or null clears it.',
    examples: [{ name: 'world', payload: { data: '-180,-90,180,90', id: 2 } }],
  },
  event_filter: {
    title: 'event_filter',
    summary: 'Which events new_event / update_event should match (text, state, filter).',
    examples: [{ name: 'arrests', payload: { text: 'arrest', id: 3 } }],
  },
  patrol_filter: {
    title: 'patrol_filter',
    summary: 'Which patrols to receive (status, filter).',
    examples: [{ name: 'active', payload: { status: ['active'], id: 4 } }],
  },
  echo: {
    title: 'echo',
    summary: 'Application-level ping: the data comes back in echo_resp.',
    examples: [{ name: 'hello', payload: { data: 'hello', id: 5 } }],
  },
}

const TRACE = 'trace-Xk2jv0aBcD3eFgHiAAAB-1767268800.123456'

/** A data event as `POST /api/das/emit` produces it: the producer's data plus `mid` (and `trace_id`). */
function dataEventExample (type: DataEventType): FrameExample {
  const traced = UNTRACED_TYPES.has(type) ? {} : { trace_id: TRACE }
  if (type === 'subject_update') {
    return { name: type, summary: 'POST /api/das/subject-updates', payload: { type, data: { id: 'subject-1', name: 'Truck 1', last_position: { type: 'Point', coordinates: [36.8, -1.3] } }, mid: 1, ...traced } }
  }
  const filtered = type === 'new_event' || type === 'update_event' ? { matches_current_filter: true } : {}
  return { name: type, summary: `POST /api/das/emit with type ${type}`, payload: { type, id: 'c1f0b0a2-1', title: 'Example', ...filtered, mid: 1, ...traced } }
}

const dataEvents = Object.fromEntries(DATA_EVENT_TYPES.map((type) => [type, {
  title: type,
  summary: UNTRACED_TYPES.has(type)
    ? 'A data event (producer data plus mid), not acknowledged.'
    : 'A data event (producer data plus mid and trace_id); acknowledge it with the Socket.IO ack callback.',
  examples: [dataEventExample(type)],
}])) as FrameTexts<Record<DataEventType, never>>

const serverEvents: FrameTexts<typeof ServerEvents> = {
  connect_ack: {
    title: 'connect_ack',
    summary: 'Sent connectAckDelay after connecting, authenticated or not.',
    examples: [{ name: 'ack', payload: { type: 'connect_ack', message: 'Connect acknowledgment.' } }],
  },
  resp_authorization: {
    title: 'resp_authorization',
    summary: 'The authorization answer: 200, or 400 / 401 / 403 / 429 (400 and 429 then disconnect).',
    examples: [
      { name: 'ok', payload: { type: 'resp_authorization', resp_id: 1, status: { code: 200, message: 'OK' } } },
      { name: 'invalid', payload: { type: 'resp_authorization', resp_id: 1, status: { code: 401, message: 'Invalid credentials' } } },
    ],
  },
  bbox_resp: {
    title: 'bbox_resp',
    summary: 'The bbox saved (null when cleared), or why not.',
    examples: [{ name: 'world', payload: { type: 'bbox_resp', message: 'bbox saved.', bbox: { west: -180, south: -90, east: 180, north: 90 }, resp_id: 2 } }],
  },
  event_filter_response: {
    title: 'event_filter_response',
    summary: 'The event filter saved, or why not (no type key).',
    examples: [{ name: 'arrests', payload: { message: 'Event filter has been saved.', filter: { text: 'arrest' }, resp_id: 3 } }],
  },
  patrol_filter_response: {
    title: 'patrol_filter_response',
    summary: 'The patrol filter saved, or why not (no type key).',
    examples: [{ name: 'active', payload: { message: 'Patrol filter has been saved.', filter: { status: ['active'] }, resp_id: 4 } }],
  },
  echo_resp: {
    title: 'echo_resp',
    summary: 'The echo answer: the data sent.',
    examples: [{ name: 'hello', payload: { type: 'echo_resp', resp_id: 5, message: 'hello' } }],
  },
  ...dataEvents,
}

export function dasChannel (config: DasConfig): SocketChannel {
  return {
    id: 'das',
    title: 'DAS (EarthRanger real-time)',
    description: `A Socket.IO server (Engine.IO 4${config.allowEIO3 ? ', and 3 for socket.io-client v2' : ''}) at the path ${config.path.replace(/\/$/, '')}/, namespace ${config.namespace}: ` +
      `connect with io("<server>${config.namespace}", { path: "${config.path.replace(/\/$/, '')}/" }). Each message is a Socket.IO event whose name is the message type, ` +
      'with one object argument (the payload). Send authorization within protocols.das.authWindow.',
    address: `${config.path.replace(/\/$/, '')}/`,
    socketIoNamespace: config.namespace,
    token: {
      description: 'POST /oauth2/token (form or JSON) with grant_type=password, username, password and client_id=das_web_client (auth.oauthClients) for an access_token; ' +
        'send it in the authorization event as "Bearer <access_token>".',
      operation: { operationId: 'oauthToken', method: 'POST', path: '/oauth2/token' },
    },
    receive: frameDocs(ClientEvents, clientEvents),
    send: frameDocs(ServerEvents, serverEvents),
  }
}
