import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKeyVerifier } from '../../access/api-keys.js';
import { createJwtVerifier, JwtRejectedError, looksLikeJwt } from '../../access/jwt.js';
import type { Principal, VerifiedCustomer } from '../../access/principal.js';
import type { AppConfig } from '../../config/index.js';
import { AppError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request presented a valid API key; identifies the key without revealing it. */
    apiKeyId?: string;
    /** Who is calling: set on every /api/* request that passed authentication (open mode included). */
    principal?: Principal;
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

/** The `customer` a chat body asserts (validated by the route's schema before preHandler). */
function assertedCustomer(body: unknown): VerifiedCustomer | undefined {
  if (!body || typeof body !== 'object' || !('customer' in body)) return undefined;
  const value = (body as { customer?: { id?: string; email: string } }).customer;
  if (!value) return undefined;
  return { ...(value.id ? { id: value.id } : {}), email: value.email.toLowerCase() };
}

function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

const unauthorized = (message: string) =>
  new AppError('UNAUTHORIZED', message, undefined, { headers: { 'www-authenticate': 'Bearer' } });

/** The principal of the request; only for /api/* handlers, which the auth plugin always runs before. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('no principal: the auth plugin did not run for this route');
  return request.principal;
}

/**
 * Who is calling. With API_KEYS or a JWT setting, every /api/* request must present a valid key
 * (X-API-Key or Bearer) or a valid JWT (Bearer) and acts for its tenant and role; a tenant_id that
 * says otherwise is refused rather than silently overridden. Without either the service is open, as
 * in the original design, and the tenant comes from the request. Only a `service` caller (or open
 * mode) may assert the customer a chat turn acts for.
 */
async function auth(
  app: FastifyInstance,
  opts: { config: AppConfig; verifier: ApiKeyVerifier },
): Promise<void> {
  const { config, verifier } = opts;
  const jwt = config.jwtEnabled ? createJwtVerifier(config) : undefined;
  app.decorateRequest('apiKeyId', undefined);
  app.decorateRequest('principal', undefined);

  const expected =
    config.API_KEYS.length > 0 && jwt
      ? 'A valid API key or bearer token is required (Authorization: Bearer <key or token> or X-API-Key: <key>)'
      : jwt
        ? 'A valid bearer token is required (Authorization: Bearer <token>)'
        : 'A valid API key is required (Authorization: Bearer <key> or X-API-Key: <key>)';

  async function authenticate(request: FastifyRequest): Promise<Principal> {
    const match = verifier.verifyRequest(request.raw);
    if (match) {
      request.apiKeyId = match.keyId;
      return { tenantId: match.tenantId, role: match.role, via: 'api_key', keyId: match.keyId };
    }
    const token = bearerToken(request);
    if (!jwt || token === undefined || !looksLikeJwt(token)) throw unauthorized(expected);
    try {
      const identity = await jwt.verify(token);
      return { ...identity, via: 'jwt' };
    } catch (err) {
      if (!(err instanceof JwtRejectedError)) throw err;
      request.log.info({ reason: err.message }, 'bearer token refused');
      throw unauthorized(err.message);
    }
  }

  if (config.authEnabled) {
    app.addHook('onRequest', async (request) => {
      if (!isApi(request)) return;
      const principal = await authenticate(request);
      request.principal = principal;
      request.tenantId = principal.tenantId;
    });
  }

  // preHandler runs after validation, so body and query are parsed and typed by then.
  app.addHook('preHandler', async (request) => {
    if (!isApi(request)) return;
    const supplied = suppliedTenants(request.body, request.query);
    const customer = assertedCustomer(request.body);
    if (config.authEnabled) {
      const principal = principalOf(request);
      if (supplied.some((tenant) => tenant !== principal.tenantId)) {
        throw new AppError('FORBIDDEN', 'These credentials do not give access to the requested tenant');
      }
      if (customer) {
        if (principal.role !== 'service' || principal.customer) {
          throw new AppError('FORBIDDEN', 'Only a service key or token may assert the customer of a turn');
        }
        principal.customer = customer;
      }
      return;
    }
    const [first, ...rest] = supplied;
    if (first !== undefined && rest.some((tenant) => tenant !== first)) {
      throw new AppError('VALIDATION_ERROR', 'tenant_id in the body and the query differ');
    }
    request.tenantId = first ?? DEFAULT_TENANT;
    // Open mode trusts the caller for everything, the tenant included, so also for the customer.
    request.principal = {
      tenantId: request.tenantId,
      role: 'operator',
      via: 'open',
      ...(customer ? { customer } : {}),
    };
  });
}

export default fp(auth, { name: 'auth' });
