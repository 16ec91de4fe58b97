import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { isRole, type Role, type VerifiedCustomer } from './principal.js';

export interface JwtSettings {
  AUTH_JWT_SECRET?: string | undefined;
  AUTH_JWT_JWKS_URL?: string | undefined;
  AUTH_JWT_ISSUER?: string | undefined;
  AUTH_JWT_AUDIENCE?: string | undefined;
}

/** What a verified token says about its bearer. */
export interface JwtIdentity {
  tenantId: string;
  role: Role;
  subject?: string;
  customer?: VerifiedCustomer;
}

/** A token that must be refused with 401; the message is safe to show the caller. */
export class JwtRejectedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JwtRejectedError';
  }
}

/**
 * Pinned: HS256 only with the shared secret, asymmetric algorithms only with the JWKS, so a token
 * can never choose how it is checked (no `none`, no HS256 signed with a public key).
 */
const HS = ['HS256'];
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** Clock skew allowed between the issuer and this server, in seconds. */
const CLOCK_TOLERANCE_S = 30;

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

function rejection(err: unknown): JwtRejectedError {
  if (err instanceof JwtRejectedError) return err;
  let message = 'The bearer token is not valid';
  if (err instanceof errors.JWTExpired) message = 'The bearer token has expired';
  else if (err instanceof errors.JWTClaimValidationFailed) {
    message =
      err.claim === 'nbf'
        ? 'The bearer token is not valid yet'
        : err.claim === 'aud'
          ? 'The bearer token was not issued for this service (audience)'
          : err.claim === 'iss'
            ? 'The bearer token was not issued by the trusted issuer'
            : `The bearer token's "${err.claim}" claim is not valid`;
  } else if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    message = 'The bearer token is signed with an algorithm this service does not accept';
  } else if (err instanceof errors.JWSSignatureVerificationFailed) {
    message = 'The bearer token signature is not valid';
  } else if (err instanceof errors.JWKSNoMatchingKey) {
    message = 'The bearer token is signed with a key this service does not know';
  } else if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) {
    message = 'The bearer token could not be checked: the key set is unavailable';
  }
  return new JwtRejectedError(message, { cause: err });
}

export function createJwtVerifier(settings: JwtSettings, options: { jwksTimeoutMs?: number } = {}) {
  const secret = settings.AUTH_JWT_SECRET ? new TextEncoder().encode(settings.AUTH_JWT_SECRET) : undefined;
  const jwks = settings.AUTH_JWT_JWKS_URL
    ? createRemoteJWKSet(new URL(settings.AUTH_JWT_JWKS_URL), {
        timeoutDuration: options.jwksTimeoutMs ?? 5000,
        cooldownDuration: 30_000,
        cacheMaxAge: 600_000,
      })
    : undefined;
  const algorithms = [...(secret ? HS : []), ...(jwks ? ASYMMETRIC : [])];

  const keyFor: JWTVerifyGetKey = async (header, token) => {
    if (secret && header.alg === 'HS256') return secret;
    if (jwks && header.alg !== 'HS256') return jwks(header, token);
    throw new JwtRejectedError('The bearer token is signed with an algorithm this service does not accept');
  };

  return {
    enabled: algorithms.length > 0,
    /** Verifies signature, algorithm, exp/nbf, issuer and audience, then maps the claims. */
    async verify(token: string): Promise<JwtIdentity> {
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, keyFor, {
          algorithms,
          ...(settings.AUTH_JWT_ISSUER ? { issuer: settings.AUTH_JWT_ISSUER } : {}),
          ...(settings.AUTH_JWT_AUDIENCE ? { audience: settings.AUTH_JWT_AUDIENCE } : {}),
          clockTolerance: CLOCK_TOLERANCE_S,
        }));
      } catch (err) {
        throw rejection(err);
      }
      const tenantId = payload.tenant_id;
      if (typeof tenantId !== 'string' || tenantId.trim() === '' || tenantId.length > 255) {
        throw new JwtRejectedError('The bearer token has no tenant_id claim');
      }
      const role = payload.role ?? 'client';
      if (!isRole(role)) throw new JwtRejectedError('The bearer token has an unknown role');
      const subject = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined;
      const email =
        typeof payload.email === 'string' && EMAIL.test(payload.email)
          ? payload.email.toLowerCase()
          : undefined;
      // A client token stands for the customer chatting; a service or operator token for staff or a
      // back end, whose subject is nobody's customer identity.
      const customer: VerifiedCustomer | undefined =
        role === 'client' && (email || subject)
          ? { ...(subject ? { id: subject } : {}), ...(email ? { email } : {}) }
          : undefined;
      return {
        tenantId,
        role,
        ...(subject ? { subject } : {}),
        ...(customer ? { customer } : {}),
      };
    },
  };
}

export type JwtVerifier = ReturnType<typeof createJwtVerifier>;

/** Compact JWS: three base64url parts (checked only after the value matched no API key). */
export const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
