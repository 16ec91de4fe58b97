import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { findWebRoot, WEB_CHAT_CSP } from '../../src/http/plugins/web-chat.js';
import { buildTestApp } from '../helpers/build-test-app.js';

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('GET / (web chat page)', () => {
  it('serves the page with a strict CSP, nosniff and no referrer', async () => {
    ({ app } = await buildTestApp());
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('<textarea id="message"');
    expect(res.body).toContain('<script type="module" src="web/chat.js"></script>');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toBe(WEB_CHAT_CSP);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('has no inline script or style for the CSP to block', async () => {
    ({ app } = await buildTestApp());
    const html = (await app.inject({ method: 'GET', url: '/' })).body;
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style[\s>]/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/\son[a-z]+=/);
  });

  it('serves the assets with their types and the same headers', async () => {
    ({ app } = await buildTestApp());
    const cases = [
      ['/web/chat.js', /javascript/],
      ['/web/api.js', /javascript/],
      ['/web/chat.css', /^text\/css/],
      ['/web/favicon.svg', /^image\/svg\+xml/],
    ] as const;
    for (const [url, type] of cases) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(type);
      expect(res.headers['content-security-policy'], url).toBe(WEB_CHAT_CSP);
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
    }
  });

  it('answers unknown asset paths and path tricks with the ordinary 404 envelope', async () => {
    ({ app } = await buildTestApp());
    for (const url of ['/web/nope.js', '/web/../package.json', '/web/%2e%2e/package.json', '/package.json']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error, url).toBe('NOT_FOUND');
    }
  });

  it('needs no API key and no rate-limit budget, while the API still does', async () => {
    ({ app } = await buildTestApp({
      API_KEYS: 'web-test-key-0001:default',
      ENABLE_RATE_LIMITING: 'true',
      RATE_LIMIT_PER_MINUTE: '2',
    }));
    for (let i = 0; i < 5; i += 1) {
      expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/web/chat.js' })).statusCode).toBe(200);
    }
    const api = await app.inject({ method: 'GET', url: '/api/v1/sessions' });
    expect(api.statusCode).toBe(401);
    expect(api.json().error).toBe('UNAUTHORIZED');
  });

  it('leaves the Swagger UI and its own CSP at /docs as they were', async () => {
    ({ app } = await buildTestApp());
    const docs = await app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
    expect(docs.headers['content-security-policy']).not.toBe(WEB_CHAT_CSP);
    expect((await app.inject({ method: 'GET', url: '/docs/json' })).json().openapi).toBe('3.0.3');
  });

  it('WEB_CHAT_ENABLED=false redirects / to the API docs and serves no assets', async () => {
    ({ app } = await buildTestApp({ WEB_CHAT_ENABLED: 'false' }));
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/docs');
    expect((await app.inject({ method: 'GET', url: '/web/chat.js' })).statusCode).toBe(404);
  });
});

describe('findWebRoot', () => {
  it('walks up from a compiled location (dist/src/http/plugins) to the project root', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'web-root-'));
    try {
      const web = path.join(root, 'src', 'web');
      const compiled = path.join(root, 'dist', 'src', 'http', 'plugins');
      mkdirSync(web, { recursive: true });
      mkdirSync(compiled, { recursive: true });
      writeFileSync(path.join(web, 'index.html'), '<!doctype html>');
      const from = pathToFileURL(path.join(compiled, 'web-chat.js')).href;
      expect(findWebRoot(from)).toBe(web);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('finds the project page from the source tree', () => {
    expect(findWebRoot()).toBe(path.resolve(import.meta.dirname, '../../src/web'));
  });
});
