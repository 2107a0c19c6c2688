import type { SocketChannel } from './socket-channel.js'

/**
 * The socket endpoints in the OpenAPI document, as the upgrade GET each one starts with. They
 * are added to the generated document (swagger's transformObject), not declared on the
 * WebSocket routes: those stay exactly as they are (DAS is not even a Fastify route, Socket.IO
 * answers it), and what a socket speaks after the upgrade is the AsyncAPI channel linked here.
 */

type Json = Record<string, unknown>

/** `/webrocket/{vhost}` and the like: the same braces in both documents. */
const pathParameters = (channel: SocketChannel): Json[] => [...channel.address.matchAll(/\{([^}]+)\}/g)].map(([, name]) => ({
  name,
  in: 'path',
  required: true,
  description: channel.parameters?.[name!]?.description,
  schema: { type: 'string', ...(channel.parameters?.[name!]?.enum ? { enum: channel.parameters[name!]!.enum } : {}) },
}))

function upgradeOperation (channel: SocketChannel): Json {
  const link = `/docs/asyncapi#${channel.id}`
  const socketIo = channel.socketIoNamespace !== undefined
  const token = channel.token.operation
  return {
    tags: [channel.id],
    operationId: `${channel.id}Socket`,
    summary: `${channel.title} ${socketIo ? 'Socket.IO' : 'WebSocket'} endpoint (upgrade)`,
    description: [
      socketIo
        ? `Socket.IO (Engine.IO query \`EIO=4&transport=websocket\`), namespace \`${channel.socketIoNamespace}\`; use a Socket.IO client.`
        : 'A WebSocket upgrade (`Connection: Upgrade`, `Upgrade: websocket`); no subprotocol.',
      `Token: ${channel.token.description}`,
      token === null ? '' : `Token operation: \`${token.operationId}\` (\`${token.method} ${token.path}\`).`,
      `Frames: the AsyncAPI channel [\`${channel.id}\`](${link}) (JSON: /docs/asyncapi.json).`,
    ].filter((line) => line !== '').join('\n\n'),
    parameters: pathParameters(channel),
    externalDocs: { description: `AsyncAPI channel ${channel.id}`, url: link },
    'x-asyncapi-channel': channel.id,
    'x-token': token,
    responses: {
      101: { description: 'Switching Protocols: the connection now speaks the frames of the AsyncAPI channel.' },
    },
  }
}

/** The OpenAPI paths of the socket endpoints, merged into `paths`. */
export function addSocketUpgrades (paths: Record<string, Json>, channels: readonly SocketChannel[]): void {
  for (const channel of channels) {
    const operation = upgradeOperation(channel)
    if ((operation.parameters as Json[]).length === 0) delete operation.parameters
    paths[channel.address] = { ...paths[channel.address], get: operation }
  }
}
