import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createDocumentFinisher, routeTransform } from '../openapi.js';
import { isApiRoute } from './auth.js';

const DESCRIPTION = `AI customer-service agent API. Send a customer's message for a tenant's session and get the
agent's answer as JSON or as Server-Sent Events. The agent looks up and changes orders, sends e-mails and files
complaints through a remote MCP server.

Errors always use one envelope: \`{error, message, details?, request_id, timestamp}\`, also on the streaming
route until its stream has started.
When API keys are configured, \`/api/*\` needs \`Authorization: Bearer <key>\` or \`X-API-Key: <key>\`.`;

async function swaggerPlugin(
  app: FastifyInstance,
  opts: { version: string; authEnabled: boolean },
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'MSEv15E2E customer-service agent API',
        version: opts.version,
        description: DESCRIPTION,
        license: { name: 'MIT', url: 'https://opensource.org/licenses/MIT' },
      },
      // Relative: the document is right for whichever host, port or proxy path serves it.
      servers: [{ url: '/', description: 'The server that serves this document' }],
      tags: [
        { name: 'Health', description: 'Liveness, readiness and basic health probes' },
        { name: 'Chat', description: 'Talk to the agent (JSON or streaming)' },
        { name: 'Sessions', description: 'Conversation history and housekeeping' },
        { name: 'Turns', description: 'A turn by its id: status, resume its event stream, cancel it' },
        { name: 'Audit', description: 'Every tool call, for operators' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key, or a JWT when AUTH_JWT_SECRET or AUTH_JWT_JWKS_URL is set',
          },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      ...(opts.authEnabled ? { security: [{ bearerAuth: [] }, { apiKeyHeader: [] }] } : {}),
    },
    transform: routeTransform,
    transformObject: createDocumentFinisher({ authEnabled: opts.authEnabled, needsAuth: isApiRoute }),
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
    staticCSP: true,
    // upgrade-insecure-requests would make browsers fetch the UI's assets over HTTPS when the docs are
    // opened by IP over plain HTTP (a container, a LAN host), leaving a blank page.
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
  });
}

export default fp(swaggerPlugin, { name: 'swagger' });
