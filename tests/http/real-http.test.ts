import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/build-test-app.js';

/** What only a real socket shows: Node's HTTP parser errors and the server's own settings. */
let app: App;
beforeAll(async () => {
  ({ app } = await buildTestApp());
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

  it('sets explicit server timeouts', () => {
    expect(app.server.requestTimeout).toBeGreaterThan(0);
    expect(app.server.keepAliveTimeout).toBeGreaterThan(0);
    expect(app.server.headersTimeout).toBeGreaterThan(0);
  });
});
