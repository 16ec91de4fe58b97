import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AppConfig } from '../../config/index.js';
import type { ApiKeyVerifier } from '../api-keys.js';
import { AppError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request presented a valid API key; identifies the key without revealing it. */
    apiKeyId?: string;
  }
}

export const DEFAULT_TENANT = 'default';

/**
 * Decided on the matched route, never on the raw URL: the router decodes percent-escapes, so a raw
 * `/%61pi/...` reaches an /api route while not starting with "/api/".
 */
/** The routes API keys protect; the OpenAPI document declares its security with the same rule. */
export const isApiRoute = (routeUrl: string) => routeUrl.startsWith('/api/');

const isApi = (request: FastifyRequest) => isApiRoute(request.routeOptions.url ?? '');

function suppliedTenants(body: unknown, query: unknown): string[] {
  const found: string[] = [];
  for (const source of [body, query]) {
    if (source && typeof source === 'object' && 'tenant_id' in source) {
      const value = (source as { tenant_id?: unknown }).tenant_id;
      if (typeof value === 'string') found.push(value);
    }
  }
  return found;
}

/**
 * Optional API keys. With keys configured, every /api/* request must present one and acts for the
 * key's tenant; a tenant_id that says otherwise is refused rather than silently overridden. Without
 * keys the service is open, as in the original design, and the tenant comes from the request.
 */
async function auth(
  app: FastifyInstance,
  opts: { config: AppConfig; verifier: ApiKeyVerifier },
): Promise<void> {
  const { config, verifier } = opts;
  app.decorateRequest('apiKeyId', undefined);

  if (config.authEnabled) {
    app.addHook('onRequest', async (request) => {
      if (!isApi(request)) return;
      const match = verifier.verifyRequest(request.raw);
      if (!match) {
        throw new AppError(
          'UNAUTHORIZED',
          'A valid API key is required (Authorization: Bearer <key> or X-API-Key: <key>)',
          undefined,
          { headers: { 'www-authenticate': 'Bearer' } },
        );
      }
      request.tenantId = match.tenantId;
      request.apiKeyId = match.keyId;
    });
  }

  // preHandler runs after validation, so body and query are parsed and typed by then.
  app.addHook('preHandler', async (request) => {
    if (!isApi(request)) return;
    const supplied = suppliedTenants(request.body, request.query);
    if (config.authEnabled) {
      if (supplied.some((tenant) => tenant !== request.tenantId)) {
        throw new AppError('FORBIDDEN', 'This API key does not give access to the requested tenant');
      }
      return;
    }
    const [first, ...rest] = supplied;
    if (first !== undefined && rest.some((tenant) => tenant !== first)) {
      throw new AppError('VALIDATION_ERROR', 'tenant_id in the body and the query differ');
    }
    request.tenantId = first ?? DEFAULT_TENANT;
  });
}

export default fp(auth, { name: 'auth' });
