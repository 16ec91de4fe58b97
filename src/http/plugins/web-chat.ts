import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where the page's assets are served from; `/` itself serves index.html. */
export const WEB_ASSET_PREFIX = '/web/';

/**
 * The page runs only its own files: no inline script or style, no third-party origin, API calls to
 * this origin only, and it may not be framed (clickjacking).
 */
export const WEB_CHAT_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The page lives in src/web/ at the project root, while this module runs either from src/http/plugins/
 * (tsx, vitest) or from dist/src/http/plugins/ (compiled), so walk up until a folder holds it.
 */
export function findWebRoot(startUrl: string = import.meta.url): string {
  let dir = path.dirname(fileURLToPath(startUrl));
  for (;;) {
    const candidate = path.join(dir, 'src', 'web');
    if (fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no src/web/index.html found above ${fileURLToPath(startUrl)}`);
    dir = parent;
  }
}

export interface WebChatOptions {
  enabled: boolean;
  /** Defaults to the src/web/ folder shipped with the project. */
  root?: string;
}

function securityHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', WEB_CHAT_CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  // For browsers that predate CSP frame-ancestors.
  reply.header('x-frame-options', 'DENY');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=()');
  // Revalidated on every load (ETag / Last-Modified), so a new release is picked up at once.
  reply.header('cache-control', 'no-cache');
}

/**
 * The customer-facing web chat page: plain static files, no build step. Encapsulated on purpose (not
 * fastify-plugin): its headers and reply.sendFile stay with these routes. Like /docs, the page is
 * exempt from API keys and rate limits; the API calls it makes are not.
 */
async function webChat(app: FastifyInstance, opts: WebChatOptions): Promise<void> {
  if (!opts.enabled) {
    app.get('/', { schema: { hide: true } }, (_request, reply) => reply.redirect('/docs', 302));
    return;
  }
  const root = opts.root ?? findWebRoot();

  app.addHook('onSend', async (_request, reply, payload) => {
    securityHeaders(reply);
    return payload;
  });

  await app.register(fastifyStatic, {
    root,
    prefix: WEB_ASSET_PREFIX,
    // One route per file found at start-up instead of a catch-all: unknown paths stay ordinary 404s.
    wildcard: false,
    index: false,
    cacheControl: false,
    dotfiles: 'ignore',
  });

  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.sendFile('index.html'));
}

export default webChat;
