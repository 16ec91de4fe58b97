import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/build-test-app.js';

const ISSUER = 'https://login.issuer.test';
const AUDIENCE = 'cs-agent';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
let rsa: KeyPair;
let ec: KeyPair;
let stranger: KeyPair;
let jwksServer: Server;
let jwksRequests = 0;
let app: App;

beforeAll(async () => {
  rsa = await generateKeyPair('RS256', { extractable: true });
  ec = await generateKeyPair('ES256', { extractable: true });
  stranger = await generateKeyPair('RS256', { extractable: true });
  const keys: JWK[] = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  // The identity provider's key set, served over real HTTP on loopback.
  jwksServer = createServer((req, res) => {
    jwksRequests++;
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const { port } = jwksServer.address() as AddressInfo;
  ({ app } = await buildTestApp({
    AUTH_JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    AUTH_JWT_ISSUER: ISSUER,
    AUTH_JWT_AUDIENCE: AUDIENCE,
  }));
});
afterAll(async () => {
  await app?.close();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

function sign(
  key: KeyPair['privateKey'] | Uint8Array,
  header: { alg: string; kid?: string },
  claims: Record<string, unknown> = { tenant_id: 'tenant-j', email: 'ada@example.com' },
) {
  return new SignJWT(claims)
    .setProtectedHeader(header)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key);
}

async function listSessions(token: string) {
  return app.inject({
    method: 'GET',
    url: '/api/v1/sessions',
    headers: { authorization: `Bearer ${token}` },
  });
}

describe('JWT bearer tokens checked against a JWKS URL', () => {
  it('accepts RS256 and ES256 tokens signed by keys of the set and acts for their tenant', async () => {
    for (const token of [
      await sign(rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }),
      await sign(ec.privateKey, { alg: 'ES256', kid: 'ec-1' }),
    ]) {
      const res = await listSessions(token);
      expect(res.statusCode).toBe(200);
      expect(res.json().tenant_id).toBe('tenant-j');
    }
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it('refuses a token signed by a key outside the set', async () => {
    const res = await listSessions(await sign(stranger.privateKey, { alg: 'RS256', kid: 'rsa-1' }));
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: 'UNAUTHORIZED' });
    const unknownKid = await listSessions(await sign(stranger.privateKey, { alg: 'RS256', kid: 'who' }));
    expect(unknownKid.statusCode).toBe(401);
  });

  it('refuses HS256, even one "signed" with the public key (algorithm confusion)', async () => {
    const pem = await exportSPKI(rsa.publicKey);
    const res = await listSessions(await sign(new TextEncoder().encode(pem), { alg: 'HS256', kid: 'rsa-1' }));
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toMatch(/algorithm/);
  });

  it('refuses a wrong audience and an expired token signed by a good key', async () => {
    const wrongAudience = await new SignJWT({ tenant_id: 'tenant-j' })
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .setIssuer(ISSUER)
      .setAudience('someone-else')
      .setExpirationTime('10m')
      .sign(rsa.privateKey);
    expect((await listSessions(wrongAudience)).statusCode).toBe(401);
    const expired = await new SignJWT({ tenant_id: 'tenant-j' })
      .setProtectedHeader({ alg: 'ES256', kid: 'ec-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 600)
      .sign(ec.privateKey);
    expect((await listSessions(expired)).statusCode).toBe(401);
  });

  it('with only a JWKS configured, an API-key-looking value is refused', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/sessions',
      headers: { 'x-api-key': 'abcdefgh' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toMatch(/bearer token/);
  });
});
