import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { asyncApiDocument } from './docs/asyncapi/document.js'
import { registerAsyncApiRoutes } from './docs/asyncapi/routes.js'
import { withRouteExamples } from './docs/route-examples.js'
import type { SocketChannel } from './docs/socket-channel.js'
import { addSocketUpgrades } from './docs/socket-upgrades.js'
import { ErrorReply } from './schemas.js'

const DESCRIPTION = 'One realtime gateway for five legacy WebSocket protocols: the REST routes that issue their tokens and publish to them, ' +
  'and the socket endpoints as their upgrade GET.\n\n' +
  'What each socket speaks, frame by frame, is the AsyncAPI document: [/docs/asyncapi](/docs/asyncapi) (JSON: [/docs/asyncapi.json](/docs/asyncapi.json)). ' +
  'Try every protocol in the browser console: [/console](/console).'

/**
 * OpenAPI generated from the route schemas plus the socket endpoints' upgrade GETs; Swagger UI
 * served from the package (works offline); the AsyncAPI document of the sockets and its page.
 */
export async function registerDocs (app: FastifyInstance, version: string, sockets: readonly SocketChannel[]): Promise<void> {
  app.addSchema(ErrorReply)
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Switchboard', version, description: DESCRIPTION },
      servers: [{ url: '/', description: 'This server' }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      tags: [
        { name: 'auth', description: 'Log in, refresh, who am I' },
        { name: 'oauth', description: 'OAuth 2.0 token and revocation endpoints (DAS clients)' },
        { name: 'admin', description: 'User administration (service credentials)' },
        { name: 'ops', description: 'Health and readiness' },
        { name: 'connections', description: 'Every node\'s connections, listed and closed (service credentials)' },
        { name: 'presence', description: 'Who is subscribed to a channel now, every node' },
        { name: 'syscache', description: 'sysadm / syscache protocol' },
        { name: 'webrocket', description: 'WebRocket protocol' },
        { name: 'telegraphy', description: 'Telegraphy protocol' },
        { name: 'really', description: 'Really.io protocol' },
        { name: 'das', description: 'DAS (EarthRanger) real-time protocol' },
      ],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transform: ({ schema, url }) => ({ schema: withRouteExamples(schema as Parameters<typeof withRouteExamples>[0]) as typeof schema, url }),
    transformObject: (documentObject) => {
      const openapi = (documentObject as { openapiObject: { paths: Record<string, Record<string, unknown>> } }).openapiObject
      addSocketUpgrades(openapi.paths, sockets)
      return openapi
    },
  })
  registerAsyncApiRoutes(app, asyncApiDocument(sockets, { version }))
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: false } })
}
