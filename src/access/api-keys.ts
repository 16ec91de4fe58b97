import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Role } from './principal.js';

export interface ApiKeyEntry {
  key: string;
  tenantId: string;
  role: Role;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Compares a presented key against every configured one in constant time: hashing first gives
 * equal-length buffers, and the loop never exits early, so timing reveals neither key nor position.
 */
export function createApiKeyVerifier(entries: readonly ApiKeyEntry[]) {
  const hashed = entries.map((entry, index) => ({
    index,
    tenantId: entry.tenantId,
    role: entry.role,
    hash: digest(entry.key),
  }));
  function verify(presented: string): ApiKeyMatch | undefined {
    const candidate = digest(presented);
    let match: (typeof hashed)[number] | undefined;
    for (const entry of hashed) {
      if (timingSafeEqual(candidate, entry.hash) && match === undefined) match = entry;
    }
    return match && { tenantId: match.tenantId, role: match.role, keyId: `key-${match.index + 1}` };
  }
  // The rate limiter and the auth check both ask about the same request; hash and compare once.
  const verdicts = new WeakMap<IncomingMessage, ApiKeyMatch | null>();
  return {
    verify,
    /** The key a request presents, verified, remembered for the life of the request. */
    verifyRequest(req: IncomingMessage): ApiKeyMatch | undefined {
      let verdict = verdicts.get(req);
      if (verdict === undefined) {
        const key = presentedApiKey(req.headers);
        verdict = (key === undefined ? undefined : verify(key)) ?? null;
        verdicts.set(req, verdict);
      }
      return verdict ?? undefined;
    },
  };
}

export interface ApiKeyMatch {
  tenantId: string;
  role: Role;
  /** Names the key (its position in API_KEYS) without revealing it. */
  keyId: string;
}

export type ApiKeyVerifier = ReturnType<typeof createApiKeyVerifier>;

export function presentedApiKey(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match) return match[1];
  }
  const header = headers['x-api-key'];
  const key = Array.isArray(header) ? header[0] : header;
  return key && key.length > 0 ? key.trim() : undefined;
}
