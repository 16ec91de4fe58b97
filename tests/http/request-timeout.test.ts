import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/build-test-app.js';

/** REQUEST_TIMEOUT_MS over a real socket: a client that stops sending is answered 408 and dropped. */
const REQUEST_TIMEOUT_MS = 1000;
let app: App;
let port: number;

beforeAll(async () => {
  ({ app } = await buildTestApp({ REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await app.close();
});

/** Sends `partial`, then nothing more; resolves with everything the server wrote once it closes. */
async function stall(partial: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk) => {
    received += String(chunk);
  });
  socket.write(partial);
  await once(socket, 'close');
  return received;
}

function parse(response: string) {
  const [head = '', body = ''] = response.split('\r\n\r\n');
  return {
    statusLine: head.split('\r\n')[0],
    head: head.toLowerCase(),
    body: JSON.parse(body) as Record<string, unknown>,
  };
}

describe('REQUEST_TIMEOUT_MS', { timeout: 20_000 }, () => {
  it('is set on the server when it is created, with headers due no later than the whole request', () => {
    expect(app.server.requestTimeout).toBe(REQUEST_TIMEOUT_MS);
    expect(app.server.headersTimeout).toBeLessThanOrEqual(REQUEST_TIMEOUT_MS);
  });

  it('a body that stops arriving gets 408 in the envelope and the connection is closed', async () => {
    const response = await stall(
      'POST /api/v1/chat HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        'Content-Length: 200\r\n\r\n{"session_id":"slow","mess',
    );
    const { statusLine, head, body } = parse(response);
    expect(statusLine).toBe('HTTP/1.1 408 Request Timeout');
    expect(head).toContain('connection: close');
    expect(body).toMatchObject({ error: 'VALIDATION_ERROR', message: 'The request took too long to arrive' });
    expect(head).toContain(`x-request-id: ${String(body.request_id)}`);
  });

  it('headers that stop arriving get the same 408', async () => {
    const { statusLine, body } = parse(
      await stall('GET /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nX-Slow: '),
    );
    expect(statusLine).toBe('HTTP/1.1 408 Request Timeout');
    expect(body.error).toBe('VALIDATION_ERROR');
  });
});
