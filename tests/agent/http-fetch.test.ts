import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpFetch } from '../../src/agent/models/http-fetch.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function serve(
  handler: Parameters<typeof createServer>[1],
): Promise<{ url: string; connections: () => number }> {
  const server = createServer(handler);
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
  };
}

describe('the model SDK’s fetch over node:http', () => {
  it('sends the body and headers and reads status, headers and JSON, over one kept-alive connection', async () => {
    const { url, connections } = await serve((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += String(d);
      });
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json', 'x-request-id': 'r-1' });
        res.end(
          JSON.stringify({ method: req.method, auth: req.headers.authorization, body: JSON.parse(body) }),
        );
      });
    });
    const httpFetch = createHttpFetch();
    for (let i = 0; i < 3; i += 1) {
      const res = await httpFetch(`${url}/v1/chat`, {
        method: 'POST',
        headers: new Headers({ Authorization: 'Bearer k', 'content-type': 'application/json' }),
        // The model client sends its request body as UTF-8 bytes; a string works too.
        body:
          i === 2 ? Buffer.from(JSON.stringify({ n: i, text: 'é' })) : JSON.stringify({ n: i, text: 'é' }),
      });
      expect(res.status).toBe(201);
      expect(res.ok).toBe(true);
      expect(res.headers.get('x-request-id')).toBe('r-1');
      expect(await res.json()).toEqual({ method: 'POST', auth: 'Bearer k', body: { n: i, text: 'é' } });
    }
    expect(connections()).toBe(1);
  });

  it('streams the body as it arrives, and decompresses a gzip reply', async () => {
    const { url } = await serve((req, res) => {
      if (req.url === '/gz') {
        res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('compressed text'));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
      setTimeout(() => res.end('data: 2\n\n'), 20);
    });
    const httpFetch = createHttpFetch();
    const res = await httpFetch(`${url}/sse`);
    const chunks: string[] = [];
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
      chunks.push(Buffer.from(chunk).toString());
    expect(chunks.join('')).toBe('data: 1\n\ndata: 2\n\n');
    expect(await (await httpFetch(`${url}/gz`)).text()).toBe('compressed text');
  });

  it('rejects like fetch: TypeError with the cause when nothing answers, the reason when aborted', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200);
      res.write('first');
    });
    const httpFetch = createHttpFetch();
    const refused = await httpFetch('http://127.0.0.1:1/').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(TypeError);
    expect((refused as TypeError).cause).toMatchObject({ code: 'ECONNREFUSED' });

    const early = new AbortController();
    early.abort(new DOMException('stop', 'AbortError'));
    await expect(httpFetch(url, { signal: early.signal })).rejects.toMatchObject({ name: 'AbortError' });

    const late = new AbortController();
    const res = await httpFetch(url, { signal: late.signal });
    const reading = (async () => {
      for await (const _ of res.body as unknown as AsyncIterable<Uint8Array>) late.abort();
    })();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('reads response headers like Headers: any case, repeated ones joined, all of them when iterated', async () => {
    const { url } = await serve((_req, res) => {
      res.setHeader('X-Request-Id', 'r-9');
      res.setHeader('Retry-After', '2');
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.end('ok');
    });
    const res = await createHttpFetch()(`${url}/`, {});
    expect(res.headers.get('x-request-id')).toBe('r-9');
    expect(res.headers.get('RETRY-AFTER')).toBe('2');
    expect(res.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(res.headers.has('x-missing')).toBe(false);
    expect(res.headers.get('x-missing')).toBeNull();
    expect(Object.fromEntries(res.headers.entries())).toMatchObject({
      'x-request-id': 'r-9',
      'retry-after': '2',
    });
    expect([...res.headers].length).toBeGreaterThanOrEqual(4);
    expect(await res.text()).toBe('ok');
  });
});
