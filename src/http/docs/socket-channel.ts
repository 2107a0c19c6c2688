import type { TSchema } from '@sinclair/typebox'

/**
 * What a protocol plugin says about its socket endpoint, for the AsyncAPI document and the
 * OpenAPI upgrade route (src/http/docs). Each plugin describes its own endpoint from its own
 * frame schemas (plugins/<p>/channel-doc.ts); src/app.ts collects them, so no plugin knows another.
 */

/** One example of a frame: a copy-pasteable payload that its schema accepts. */
export interface FrameExample {
  name: string
  summary?: string
  payload: unknown
}

/** One frame (or, for Socket.IO, one event with its single argument). */
export interface FrameDoc {
  /** The record key of the schema it documents (`ClientFrames`, `ServerFrames`, `ServerEvents`…); for DAS the event name. */
  name: string
  title: string
  summary: string
  /** The very schema the server validates with (client frames) or tests check against (server frames). */
  schema: TSchema
  examples: FrameExample[]
}

/** The REST operation that hands out the socket's token, as OpenAPI names it. */
export interface TokenOperation {
  operationId: string
  method: 'GET' | 'POST'
  path: string
}

export interface SocketChannel {
  /** The AsyncAPI channel id: `syscache`, `webrocket`, `telegraphy`, `really` or `das`. */
  id: string
  title: string
  description: string
  /** The path of the upgrade request, `{name}` for a parameter. */
  address: string
  parameters?: Record<string, { description: string, enum?: string[], examples?: string[] }>
  /** Socket.IO only: the namespace the frames travel on. */
  socketIoNamespace?: string
  token: { description: string, operation: TokenOperation | null }
  /** Client → server: what the server receives. */
  receive: FrameDoc[]
  /** Server → client: what the server sends. */
  send: FrameDoc[]
}

/** What a plugin writes about each frame of a schema record: everything but its name and schema. */
export type FrameTexts<R extends Record<string, TSchema>> = { [K in keyof R]: Omit<FrameDoc, 'name' | 'schema'> }

/** The frames of a schema record, in its order, with their texts (the type makes a plugin write one per schema). */
export function frameDocs<R extends Record<string, TSchema>> (schemas: R, texts: FrameTexts<R>): FrameDoc[] {
  return Object.keys(schemas).map((name) => ({ name, schema: schemas[name]!, ...texts[name]! }))
}
