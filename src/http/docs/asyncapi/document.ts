import type { FrameDoc, SocketChannel } from '../socket-channel.js'
import { jsonSchema } from './json-schema.js'

/**
 * The AsyncAPI 3.0 document of the socket endpoints, from the channels the plugins describe.
 * The Switchboard server is the application: `receive` operations are the frames clients send,
 * `send` operations the frames it sends. Channel ids are the protocol names; each channel
 * message refers to `#/components/messages/<channel>.<frame>`, which carries the frame's schema
 * (the very TypeBox schema the server validates with, or the tests check its frames against)
 * and examples. `x-token` names the REST operation that hands out the channel's token (null:
 * the socket logs in by itself), `x-token-description` says how.
 */

export interface AsyncApiInfo {
  version: string
}

const DESCRIPTION = 'The five WebSocket protocols of Switchboard, one channel per endpoint. Frames are JSON text; ' +
  'every frame a client sends is checked against the schema shown here. The REST routes that issue the tokens are in the OpenAPI document (/docs).'

type Json = Record<string, unknown>

function message (channel: SocketChannel, frame: FrameDoc): Json {
  return {
    name: frame.name,
    title: frame.title,
    summary: frame.summary,
    contentType: 'application/json',
    payload: jsonSchema(frame.schema),
    examples: frame.examples.map((example) => ({
      name: example.name,
      ...(example.summary === undefined ? {} : { summary: example.summary }),
      payload: example.payload,
    })),
    ...(channel.socketIoNamespace === undefined ? {} : { 'x-socketio-event': frame.name }),
  }
}

function operation (channel: SocketChannel, action: 'receive' | 'send', frames: FrameDoc[]): Json {
  return {
    action,
    channel: { $ref: `#/channels/${channel.id}` },
    title: action === 'receive' ? `${channel.title}: client → server` : `${channel.title}: server → client`,
    summary: action === 'receive' ? 'The frames a client sends; the server validates each against its schema.' : 'The frames the server sends: replies and pushes.',
    messages: frames.map((frame) => ({ $ref: `#/channels/${channel.id}/messages/${frame.name}` })),
  }
}

export function asyncApiDocument (channels: readonly SocketChannel[], info: AsyncApiInfo): Json {
  const document = {
    asyncapi: '3.0.0',
    info: { title: 'Switchboard sockets', version: info.version, description: DESCRIPTION },
    defaultContentType: 'application/json',
    channels: {} as Json,
    operations: {} as Json,
    components: { messages: {} as Json },
  }
  for (const channel of channels) {
    const messages: Json = {}
    for (const frame of [...channel.receive, ...channel.send]) {
      // One name per channel: the operations refer to the channel's messages by it.
      if (Object.hasOwn(messages, frame.name)) throw new Error(`asyncapi: channel ${channel.id} has two frames named ${frame.name}`)
      const id = `${channel.id}.${frame.name}`
      document.components.messages[id] = message(channel, frame)
      messages[frame.name] = { $ref: `#/components/messages/${id}` }
    }
    document.channels[channel.id] = {
      address: channel.address,
      title: channel.title,
      description: `${channel.description}\n\nToken: ${channel.token.description}`,
      ...(channel.parameters === undefined ? {} : { parameters: channel.parameters }),
      messages,
      ...(channel.socketIoNamespace === undefined ? {} : { 'x-socketio-namespace': channel.socketIoNamespace }),
      'x-token': channel.token.operation,
      'x-token-description': channel.token.description,
    }
    document.operations[`${channel.id}.receive`] = operation(channel, 'receive', channel.receive)
    document.operations[`${channel.id}.send`] = operation(channel, 'send', channel.send)
  }
  return document
}
