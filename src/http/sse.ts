import type { FastifyReply } from 'fastify';

const PING_INTERVAL_MS = 15_000;

/**
 * An SSE response that starts lazily: headers go out with the first event, or after one ping interval
 * of silence (with a `: ping`). Until then the request can still fail as an ordinary JSON error with a
 * meaningful status (session busy, provider down before any token). Headers already set on the reply
 * (CORS, request id) are kept. Events are written straight to the socket as they come (Node's HTTP
 * server disables Nagle's algorithm, so small writes are not held back).
 */
export function createEventStream(reply: FastifyReply, options: { pingIntervalMs?: number } = {}) {
  const res = reply.raw;
  const interval = options.pingIntervalMs ?? PING_INTERVAL_MS;
  let started = false;
  let ended = false;
  let lastWrite = Date.now();
  let ping: NodeJS.Timeout | undefined;

  function write(chunk: string): void {
    if (res.writableEnded || res.destroyed) return;
    res.write(chunk);
    lastWrite = Date.now();
  }

  function start(): void {
    if (started || ended) return;
    started = true;
    clearTimeout(opener);
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
    reply.server.metrics?.trackStream(res);
    ping = setInterval(() => {
      if (Date.now() - lastWrite >= interval - 5) write(': ping\n\n');
    }, interval);
  }

  const opener = setTimeout(() => {
    start();
    write(': ping\n\n');
  }, interval);

  return {
    /** Whether the 200 and the SSE headers have gone out (after that, failures are `error` events). */
    get started(): boolean {
      return started;
    },
    /** Sends the headers now instead of with the first event (a resumed stream may have none left). */
    open(): void {
      start();
    },
    /** `id` becomes the event's SSE `id:` line (what a client sends back as Last-Event-ID). */
    send(event: Record<string, unknown>, id?: string): void {
      // A late event after the request was answered some other way (as JSON) goes nowhere.
      if (ended) return;
      start();
      write(`${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(event)}\n\n`);
    },
    end(): void {
      ended = true;
      clearTimeout(opener);
      clearInterval(ping);
      if (started && !res.writableEnded) res.end();
    },
  };
}

export type EventStream = ReturnType<typeof createEventStream>;
