import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ServiceError } from '../../errors.js';
import { AppError, envelope, fromServiceError } from '../errors.js';

function fieldOf(instancePath: string, missing: unknown, context: string | undefined): string {
  const segments = instancePath.split('/').filter(Boolean);
  if (typeof missing === 'string') segments.push(missing);
  const path = segments.join('.');
  return context ? (path ? `${context}.${path}` : context) : path;
}

/** Translates what Fastify and its plugins throw into the one envelope clients see. */
export function toAppError(err: FastifyError | Error): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ServiceError) return fromServiceError(err);
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

/**
 * Errors Fastify raises before routing (a malformed percent-escape, an overlong path parameter):
 * answered in the same envelope, with the request id, like every other error.
 */
export function frameworkErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  const message =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path parameter is too long' : 'The URL is not valid';
  void sendError(request, reply, new AppError('VALIDATION_ERROR', message));
}

const CLIENT_ERROR_STATUS: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/**
 * Requests Node's HTTP parser rejects (headers too large, garbage on the wire, request timeout) never
 * reach Fastify; they still get the envelope instead of a bare status line.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const status = CLIENT_ERROR_STATUS[err.code ?? ''] ?? 400;
  const requestId = randomUUID();
  const message =
    status === 431
      ? 'The request headers are too large'
      : status === 408
        ? 'The request took too long to arrive'
        : 'The request is malformed';
  const body = JSON.stringify(envelope(new AppError('VALIDATION_ERROR', message), requestId));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
  );
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
