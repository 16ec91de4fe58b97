import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, envelope } from '../errors.js';

function fieldOf(instancePath: string, missing: unknown, context: string | undefined): string {
  const segments = instancePath.split('/').filter(Boolean);
  if (typeof missing === 'string') segments.push(missing);
  const path = segments.join('.');
  return context ? (path ? `${context}.${path}` : context) : path;
}

/** Translates what Fastify and its plugins throw into the one envelope clients see. */
export function toAppError(err: FastifyError | Error): AppError {
  if (err instanceof AppError) return err;
  const fe = err as FastifyError & { validationContext?: string };
  if (hasZodFastifySchemaValidationErrors(fe)) {
    const details = fe.validation.map((v) => ({
      field: fieldOf(
        v.instancePath,
        (v.params as { missingProperty?: unknown })?.missingProperty,
        fe.validationContext,
      ),
      message: v.message ?? 'is invalid',
    }));
    return new AppError('VALIDATION_ERROR', 'Request validation failed', details);
  }
  if (fe.validation) {
    return new AppError(
      'VALIDATION_ERROR',
      'Request validation failed',
      fe.validation.map((v) => ({ field: v.instancePath || fe.validationContext, message: v.message })),
    );
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('VALIDATION_ERROR', 'The JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('VALIDATION_ERROR', 'The body is not valid JSON');
    default:
      break;
  }
  // Fastify's JSON parser reports syntax errors as a plain SyntaxError with a 400 status.
  if (fe.statusCode === 400 && err instanceof SyntaxError) {
    return new AppError('VALIDATION_ERROR', 'The body is not valid JSON');
  }
  if (fe.statusCode === 429) return new AppError('RATE_LIMIT_EXCEEDED', 'Too many requests, slow down');
  if (fe.statusCode === 404) return new AppError('NOT_FOUND', 'Not found');
  if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new AppError('VALIDATION_ERROR', 'The request could not be processed');
  }
  return new AppError('INTERNAL_ERROR', 'An internal error occurred', undefined, { cause: err });
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  if (error.headers) reply.headers(error.headers);
  return reply.code(error.statusCode).type('application/json').send(envelope(error, request.id));
}

async function errorHandler(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const appError = toAppError(err);
    if (appError.code === 'INTERNAL_ERROR') {
      request.log.error({ err }, 'unexpected error');
    } else if (appError.statusCode >= 500) {
      // A mapped failure (provider down, timeout): the service that mapped it logged its cause at the
      // right level. The cause chain may hold provider bodies, so it goes to debug only.
      request.log.warn({ code: appError.code, reason: appError.message }, 'request error');
      request.log.debug({ err }, 'request error cause');
    } else {
      request.log.debug({ code: appError.code, message: err.message }, 'client error');
    }
    return sendError(request, reply, appError);
  });

  app.setNotFoundHandler((request, reply) => {
    return sendError(
      request,
      reply,
      new AppError('NOT_FOUND', `Route ${request.method} ${request.url.split('?')[0]} not found`),
    );
  });
}

export default fp(errorHandler, { name: 'error-handler' });
