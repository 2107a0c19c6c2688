import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { ErrorReply } from './schemas.js'

/** OpenAPI generated from the route schemas; Swagger UI served from the package (works offline). */
export async function registerDocs (app: FastifyInstance, version: string): Promise<void> {
  app.addSchema(ErrorReply)
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Switchboard',
        version,
        description: 'One realtime gateway for five legacy WebSocket protocols: the REST routes that issue their tokens and publish to them.',
      },
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
        { name: 'syscache', description: 'sysadm / syscache protocol' },
        { name: 'webrocket', description: 'WebRocket protocol' },
        { name: 'telegraphy', description: 'Telegraphy protocol' },
        { name: 'really', description: 'Really.io protocol' },
        { name: 'das', description: 'DAS (EarthRanger) real-time protocol' },
      ],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  })
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: false } })
}
