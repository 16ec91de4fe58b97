import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';

/**
 * A `fetch` for the model SDK over node:http(s) with keep-alive agents: the calls the SDK makes (a
 * string or byte body, a JSON or server-sent-events reply) without the WHATWG machinery of the
 * global fetch, whose Request, body extraction and web-stream plumbing cost more per model call than
 * the SDK itself. What the SDK reads is there: `status`, `ok`, `headers` (reading like `Headers`),
 * `url`, `body` as an async iterable of bytes (the SDK iterates it as it is), `text()` and `json()`.
 *
 * Behaves like fetch where the SDK depends on it: it rejects with a TypeError whose `cause` is the
 * socket error when no response comes, with the signal's reason when the signal aborts first; an
 * abort during the body ends the body's iteration with that reason. Any call it does not cover (a
 * body that is neither a string nor bytes, a Request object) goes to the global fetch.
 */
export function createHttpFetch(options: { maxSockets?: number } = {}): typeof fetch {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? Number.POSITIVE_INFINITY };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);
  const targets = new Map<string, Target | null>();

  const httpFetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const body = init.body;
    if (
      input instanceof Request ||
      (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array))
    ) {
      return fetch(input, init);
    }
    const target = targetOf(targets, input);
    if (!target) return fetch(input, init);
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(signal.reason);

    return new Promise<Response>((resolve, reject) => {
      const headers = plainHeaders(init.headers);
      if (body !== undefined && body !== null && headers['content-length'] === undefined) {
        headers['content-length'] = String(
          typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
        );
      }
      const req = (target.secure ? https : http).request({
        ...target.options,
        method: init.method ?? 'GET',
        headers,
        agent: target.secure ? httpsAgent : httpAgent,
      });
      let settled = false;
      let stream: Readable | undefined;
      const onAbort = () => {
        const reason: unknown = signal?.reason;
        req.destroy();
        if (stream)
          stream.destroy(reason instanceof Error ? reason : new DOMException('Aborted', 'AbortError'));
        if (!settled) {
          settled = true;
          reject(reason);
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => signal?.removeEventListener('abort', onAbort);
      req.on('error', (err) => {
        if (settled) return;
        settled = true;
        cleanup();
        reject(new TypeError('fetch failed', { cause: err }));
      });
      req.on('response', (res) => {
        if (settled) {
          res.destroy();
          return;
        }
        settled = true;
        stream = decoded(res);
        stream.once('close', cleanup);
        resolve(toResponse(target.href, res, stream));
      });
      req.end(body ?? undefined);
    });
  };
  return httpFetch as typeof fetch;
}

interface Target {
  href: string;
  secure: boolean;
  options: { protocol: string; hostname: string; port: string; path: string; auth?: string };
}

/** Endpoints remembered by one fetch: a process calls a few, parsed once each; a new one evicts the oldest. */
const MAX_TARGETS = 64;

function targetOf(targets: Map<string, Target | null>, input: string | URL): Target | undefined {
  const key = typeof input === 'string' ? input : input.href;
  let target = targets.get(key);
  if (target === undefined) {
    const url = typeof input === 'string' ? new URL(input) : input;
    target =
      url.protocol === 'http:' || url.protocol === 'https:'
        ? {
            href: url.href,
            secure: url.protocol === 'https:',
            options: {
              protocol: url.protocol,
              hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
              port: url.port,
              path: `${url.pathname}${url.search}`,
              ...(url.username || url.password
                ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` }
                : {}),
            },
          }
        : null;
    if (targets.size >= MAX_TARGETS) targets.delete(targets.keys().next().value as string);
    targets.set(key, target);
  }
  return target ?? undefined;
}

function plainHeaders(headers: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  if (headers instanceof Headers || Array.isArray(headers)) {
    for (const [name, value] of headers) out[name.toLowerCase()] = value;
    return out;
  }
  for (const [name, value] of Object.entries(headers)) {
    out[name.toLowerCase()] = typeof value === 'string' ? value : value.join(', ');
  }
  return out;
}

/** The body as sent, decompressed when the server compressed it (as fetch does). */
function decoded(res: IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip()
      : encoding === 'deflate'
        ? zlib.createInflate()
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : undefined;
  if (!decoder) return res;
  res.on('error', (err) => decoder.destroy(err));
  decoder.on('close', () => res.destroy());
  return res.pipe(decoder);
}

/**
 * The response headers as the SDK reads them (`get`, `has`, iteration), straight over Node's parsed
 * headers instead of copied into a WHATWG `Headers` per response. Names are lower case; repeated
 * headers read joined with ", " as in `Headers`.
 */
class ResponseHeaders {
  readonly #headers: IncomingMessage['headers'];
  constructor(headers: IncomingMessage['headers']) {
    this.#headers = headers;
  }
  get(name: string): string | null {
    const value = this.#headers[name.toLowerCase()];
    if (value === undefined) return null;
    return typeof value === 'string' ? value : value.join(', ');
  }
  has(name: string): boolean {
    return this.#headers[name.toLowerCase()] !== undefined;
  }
  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.#headers)) yield [name, this.get(name) as string];
  }
  *keys(): IterableIterator<string> {
    yield* Object.keys(this.#headers);
  }
  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }
  forEach(callback: (value: string, name: string, headers: this) => void): void {
    for (const [name, value] of this.entries()) callback(value, name, this);
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

function toResponse(url: string, res: IncomingMessage, stream: Readable): Response {
  const headers = new ResponseHeaders(res.headers);
  const status = res.statusCode ?? 0;
  let used = false;
  const bytes = async (): Promise<Buffer> => {
    if (used) throw new TypeError('Body is unusable: Body has already been read');
    used = true;
    const parts: Buffer[] = [];
    for await (const part of stream) parts.push(part as Buffer);
    return Buffer.concat(parts);
  };
  const response = {
    status,
    statusText: res.statusMessage ?? '',
    ok: status >= 200 && status < 300,
    headers,
    url,
    redirected: false,
    type: 'basic',
    get bodyUsed() {
      return used;
    },
    body: {
      [Symbol.asyncIterator]() {
        used = true;
        return stream[Symbol.asyncIterator]();
      },
    },
    text: async () => (await bytes()).toString('utf8'),
    json: async (): Promise<unknown> => JSON.parse((await bytes()).toString('utf8')),
    arrayBuffer: async () => {
      const buffer = await bytes();
      return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
    },
  };
  return response as unknown as Response;
}
