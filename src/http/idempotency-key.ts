import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from './errors.js';

/** 1–255 printable ASCII characters (space included), as DESIGN §10 says. */
const KEY_FORMAT = /^[\x20-\x7e]{1,255}$/;

/** JSON with the keys of every object sorted, so that the same body always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The request's Idempotency-Key and a hash of its body, or undefined when it sent none. */
export function idempotencyOf(request: FastifyRequest): { key: string; bodyHash: string } | undefined {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return undefined;
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined || !KEY_FORMAT.test(key) || Array.isArray(header)) {
    throw new AppError('VALIDATION_ERROR', 'Request validation failed', [
      { field: 'headers.idempotency-key', message: 'must be 1 to 255 printable ASCII characters' },
    ]);
  }
  const bodyHash = createHash('sha256').update(canonical(request.body)).digest('base64url');
  return { key, bodyHash };
}
