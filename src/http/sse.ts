import type { FastifyReply } from 'fastify';

const PING_INTERVAL_MS = 15_000;

/**
 * Opens an SSE response on a hijacked reply. Headers already set on the reply (CORS, request id)
 * are kept. Each event is written straight to the socket so tokens leave as they arrive (Node's HTTP
 * server disables Nagle's algorithm by default, so small writes are not held back).
 */
export function openEventStream(reply: FastifyReply, options: { pingIntervalMs?: number } = {}) {
  const res = reply.raw;
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) headers[name] = value as string | number | string[];
  }
  reply.hijack();
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();

  let lastWrite = Date.now();
  const interval = options.pingIntervalMs ?? PING_INTERVAL_MS;
  const ping = setInterval(() => {
    if (Date.now() - lastWrite >= interval - 5 && !res.writableEnded) {
      res.write(': ping\n\n');
      lastWrite = Date.now();
    }
  }, interval);

  return {
    send(event: Record<string, unknown>): void {
      if (res.writableEnded || res.destroyed) return;
      res.write(`data: ${JSON.stringify(event)}\n\n`);
      lastWrite = Date.now();
    },
    end(): void {
      clearInterval(ping);
      if (!res.writableEnded) res.end();
    },
    get open(): boolean {
      return !res.writableEnded && !res.destroyed;
    },
  };
}

export type EventStream = ReturnType<typeof openEventStream>;
