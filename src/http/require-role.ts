import type { FastifyRequest } from 'fastify';
import type { Role } from '../access/principal.js';
import { AppError } from './errors.js';
import { principalOf } from './plugins/auth.js';

/**
 * A route-level preHandler that admits only the given roles, e.g.
 * `app.get('/api/v1/audit', { preHandler: requireRole('operator') }, …)`. It runs after the auth
 * plugin's own preHandler. In open mode every caller counts as an operator.
 */
export function requireRole(...roles: [Role, ...Role[]]) {
  return async (request: FastifyRequest): Promise<void> => {
    const principal = principalOf(request);
    if (!roles.includes(principal.role)) {
      throw new AppError('FORBIDDEN', `This endpoint needs the ${roles.join(' or ')} role`);
    }
  };
}
