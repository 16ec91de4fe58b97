import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/build-test-app.js';

/** What only a real socket shows: Node's HTTP parser errors and the server's own settings. */
let app: App;
/** Neither the default (72 s) nor Node's own (5 s): only a value taken from the config can match. */
const KEEP_ALIVE_TIMEOUT_MS = 7_000;
beforeAll(async () => {
  ({ app } = await buildTestApp({ KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS) }));
});
afterAll(async () => {
  await app.close();
});

describe('over a real HTTP connection', () => {
  it('serves the probes with a request id', async () => {
    const res = await request(app.server).get('/health').expect(200);
    expect(res.body.status).toBe('healthy');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers oversized headers with the envelope instead of a bare status line', async () => {
    const res = await request(app.server).get('/health').set('x-padding', 'x'.repeat(20_000));
    expect(res.status).toBe(431);
    expect(res.body).toMatchObject({
      error: 'VALIDATION_ERROR',
      message: 'The request headers are too large',
    });
    expect(res.body.request_id).toBe(res.headers['x-request-id']);
  });

  // REQUEST_TIMEOUT_MS (requestTimeout, headersTimeout) is proven by the 408s in request-timeout.test.ts.
  it('keeps idle connections open for KEEP_ALIVE_TIMEOUT_MS, and tells the client so', async () => {
    expect(app.server.keepAliveTimeout).toBe(KEEP_ALIVE_TIMEOUT_MS);
    const res = await request(app.server).get('/health').set('connection', 'keep-alive').expect(200);
    expect(res.headers['keep-alive']).toBe(`timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
  });
});
