import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/build-test-app.js';
import { REPO_ROOT } from '../helpers/server-process.js';

// What a user does with the served document: lint it, generate a typed client from it, call the API
// as the document says. Each test here is one of those, on the real /docs/json.

const run = promisify(execFile);
const API_KEY = 'contract-test-key-0001';

type Json = Record<string, unknown>;
interface Operation {
  operationId?: string;
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: Json }> };
  responses: Record<string, { content?: Record<string, { schema?: Json; examples?: Record<string, Json> }> }>;
}

async function servedDocument(env: Record<string, string> = {}): Promise<Json> {
  const { app } = await buildTestApp(env);
  try {
    const res = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    return res.json();
  } finally {
    await app.close();
  }
}

function operations(doc: Json): Array<{ path: string; method: string; op: Operation }> {
  const found: Array<{ path: string; method: string; op: Operation }> = [];
  for (const [p, item] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, op] of Object.entries(item)) found.push({ path: p, method, op });
  }
  return found;
}

let dir: string;
let openDoc: Json;
let authDoc: Json;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'openapi-contract-'));
  [openDoc, authDoc] = await Promise.all([
    servedDocument(),
    servedDocument({ API_KEYS: `${API_KEY}:tenant-a` }),
  ]);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the served OpenAPI document', () => {
  it('documents errors of the streaming route as JSON and only its 200 as an event stream', () => {
    const stream = (openDoc.paths as Record<string, Record<string, Operation>>)['/api/v1/chat/stream']!.post!;
    expect(Object.keys(stream.responses['200']!.content!)).toEqual(['text/event-stream']);
    const errors = Object.entries(stream.responses).filter(([status]) => status !== '200');
    expect(errors.map(([status]) => status)).toEqual(
      expect.arrayContaining([
        '400',
        '401',
        '403',
        '409',
        '413',
        '415',
        '422',
        '429',
        '500',
        '502',
        '503',
        '504',
      ]),
    );
    for (const [status, response] of errors) {
      expect(Object.keys(response.content!), status).toEqual(['application/json']);
      expect(response.content!['application/json']!.schema).toEqual({
        $ref: '#/components/schemas/ErrorEnvelope',
      });
    }
  });

  it('gives every error status examples of its own codes', () => {
    const statusOf: Record<string, string> = {
      VALIDATION_ERROR: '400',
      UNAUTHORIZED: '401',
      FORBIDDEN: '403',
      SESSION_NOT_FOUND: '404',
      NOT_FOUND: '404',
      SESSION_BUSY: '409',
      TURN_CANCELLED: '409',
      APPROVAL_NOT_PENDING: '409',
      PAYLOAD_TOO_LARGE: '413',
      UNSUPPORTED_MEDIA_TYPE: '415',
      IDEMPOTENCY_KEY_REUSED: '422',
      RATE_LIMIT_EXCEEDED: '429',
      QUOTA_EXCEEDED: '429',
      INTERNAL_ERROR: '500',
      LLM_ERROR: '502',
      AGENT_UNAVAILABLE: '503',
      TIMEOUT: '504',
    };
    const seen = new Set<string>();
    for (const { path: p, method, op } of operations(openDoc)) {
      for (const [status, response] of Object.entries(op.responses)) {
        const media = response.content?.['application/json'];
        if (!status.match(/^[45]/) || media?.schema?.$ref !== '#/components/schemas/ErrorEnvelope') continue;
        const examples = Object.entries(media.examples ?? {});
        expect(examples.length, `${method} ${p} ${status}`).toBeGreaterThan(0);
        for (const [name, example] of examples) {
          const value = example.value as { error: string; message: string };
          expect(value.error, `${method} ${p} ${status}`).toBe(name);
          expect(statusOf[value.error], `${method} ${p} ${status} ${name}`).toBe(status);
          expect(value.message).toBeTruthy();
          seen.add(value.error);
        }
      }
    }
    // NOT_FOUND is documented by the turn routes (an unknown turn).
    expect([...seen].sort()).toEqual(Object.keys(statusOf).sort());
    const history = (openDoc.paths as Record<string, Record<string, Operation>>)[
      '/api/v1/sessions/{session_id}/history'
    ]!.get!;
    expect(Object.keys(history.responses['404']!.content!['application/json']!.examples!)).toEqual([
      'SESSION_NOT_FOUND',
    ]);
  });

  it('names its schemas as components and refers to them', () => {
    const schemas = (openDoc.components as { schemas: Record<string, Json> }).schemas;
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining([
        'ChatRequest',
        'ChatResponse',
        'ErrorEnvelope',
        'SessionHistory',
        'SessionList',
        'ToolCall',
        'Usage',
        'Readiness',
      ]),
    );
    // No unused input/output duplicates of the same schema.
    expect(Object.keys(schemas).filter((name) => name.endsWith('Input'))).toEqual([]);
    const chat = (openDoc.paths as Record<string, Record<string, Operation>>)['/api/v1/chat']!.post!;
    expect(chat.requestBody!.content['application/json']!.schema).toEqual({
      $ref: '#/components/schemas/ChatRequest',
    });
    expect(chat.responses['200']!.content!['application/json']!.schema).toEqual({
      $ref: '#/components/schemas/ChatResponse',
    });
    // Both chat routes take the turn policies of DESIGN §10, and document what a busy session answers.
    const request = (schemas.ChatRequest as { properties: Record<string, { enum?: string[] }> }).properties;
    expect(request.on_busy?.enum).toEqual(['enqueue', 'reject', 'interrupt']);
    expect(request.on_disconnect?.enum).toEqual(['cancel', 'continue']);
    expect(Object.keys(chat.responses['409']!.content!['application/json']!.examples!)).toEqual(
      expect.arrayContaining(['SESSION_BUSY', 'TURN_CANCELLED']),
    );
  });

  it('has a unique operationId on every operation, and servers', () => {
    const ids = operations(openDoc).map(({ op }) => op.operationId);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['chat', 'chatStream', 'getSessionHistory', 'listSessions']));
    expect(openDoc.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('declares counts as non-negative integers', () => {
    const text = JSON.stringify(openDoc);
    expect(text).not.toContain('-9007199254740991');
    const schemas = (openDoc.components as { schemas: Record<string, { properties: Record<string, Json> }> })
      .schemas;
    const counts: Array<[string, string]> = [
      ['ChatResponse', 'message_count'],
      ['SessionHistory', 'message_count'],
      ['SessionSummary', 'message_count'],
      ['SessionList', 'total'],
      ['SessionList', 'limit'],
      ['SessionList', 'offset'],
      ['ToolCall', 'duration_ms'],
      ['Usage', 'prompt_tokens'],
      ['Usage', 'completion_tokens'],
      ['Usage', 'total_tokens'],
    ];
    for (const [schema, field] of counts) {
      expect(schemas[schema]!.properties[field], `${schema}.${field}`).toMatchObject({
        type: 'integer',
        minimum: 0,
      });
    }
  });

  it('declares security: open operations say so, keyed operations name the schemes', () => {
    for (const { path: p, method, op } of operations(openDoc)) {
      expect(op.security, `${method} ${p}`).toEqual([]);
    }
    expect(openDoc.security).toBeUndefined();
    expect((openDoc.components as Json).securitySchemes).toBeUndefined();

    expect(authDoc.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
    expect(Object.keys((authDoc.components as { securitySchemes: Json }).securitySchemes)).toEqual([
      'bearerAuth',
      'apiKeyHeader',
    ]);
    for (const { path: p, method, op } of operations(authDoc)) {
      if (p.startsWith('/api/')) expect(op.security, `${method} ${p}`).toBeUndefined();
      else expect(op.security, `${method} ${p}`).toEqual([]);
    }
  });

  it('matches what the streaming route really sends when it fails before the stream', async () => {
    const { app } = await buildTestApp();
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/chat/stream',
        payload: { session_id: 's-1', message: '' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json()).toMatchObject({ error: 'VALIDATION_ERROR', request_id: expect.any(String) });
    } finally {
      await app.close();
    }
  });
});

describe('tools a user runs on the document', () => {
  it('passes redocly lint with no errors (open and with API keys)', async () => {
    for (const [name, doc] of [
      ['open', openDoc],
      ['keys', authDoc],
    ] as const) {
      const file = path.join(dir, `openapi-${name}.json`);
      writeFileSync(file, JSON.stringify(doc));
      const { stdout } = await run(
        path.join(REPO_ROOT, 'node_modules/.bin/redocly'),
        ['lint', file, '--config', path.join(REPO_ROOT, 'redocly.yaml'), '--format', 'json'],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
          maxBuffer: 10 * 1024 * 1024,
        },
      ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
      const report = JSON.parse(stdout) as {
        totals: { errors: number; warnings: number };
        problems: Array<{ ruleId: string; message: string; severity: string }>;
      };
      expect(
        report.problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message}`),
        name,
      ).toEqual([]);
      expect(report.totals.errors).toBe(0);
    }
  });

  // A whole tsc run over the generated types: give it the time a busy two-core machine needs.
  it('generates types that the example client calls type-check against, and a drift fails', {
    timeout: 90_000,
  }, async () => {
    const generate = async (doc: Json) =>
      astToString(await openapiTS(doc as unknown as Parameters<typeof openapiTS>[0]));
    writeFileSync(path.join(dir, 'api.ts'), await generate(authDoc));
    // The same document after a server-side rename: the check must catch it.
    const drifted = structuredClone(authDoc) as { components: { schemas: Record<string, Json> } };
    const response = drifted.components.schemas.ChatResponse as { properties: Json; required: string[] };
    response.properties.messages_total = response.properties.message_count;
    delete response.properties.message_count;
    response.required = response.required.map((f) => (f === 'message_count' ? 'messages_total' : f));
    writeFileSync(path.join(dir, 'api-drifted.ts'), await generate(drifted));

    const client = path.join(REPO_ROOT, 'examples/client.js');
    const check = (api: string) => `// The example client's calls, checked against the generated paths.
import type { CustomerServiceClient, ErrorEnvelope } from ${JSON.stringify(client)};
import type { paths } from './${api}.js';

type Client = CustomerServiceClient;
type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;
type Answer<M extends keyof Client> = Awaited<ReturnType<Client[M]>>;

// What the client sends must be what the server accepts; what the server answers must fit what the
// client reads. Both directions, so that neither side can drift alone.
declare function serverAccepts<Server>(value: Server): void;
declare function clientReads<ClientSide>(value: ClientSide): void;

export function calls(
  client: {
    chat: Parameters<Client['chat']>[0];
    listQuery: NonNullable<Parameters<Client['listSessions']>[0]>;
    historyQuery: NonNullable<Parameters<Client['history']>[1]>;
    sessionId: Parameters<Client['history']>[0];
  },
  server: {
    chatBody: paths['/api/v1/chat']['post']['requestBody']['content']['application/json'];
    streamBody: paths['/api/v1/chat/stream']['post']['requestBody']['content']['application/json'];
    chat: paths['/api/v1/chat']['post']['responses'][200]['content']['application/json'];
    stream: paths['/api/v1/chat/stream']['post']['responses'][200]['content']['text/event-stream'];
    streamError: paths['/api/v1/chat/stream']['post']['responses'][400]['content']['application/json'];
    streamUnavailable: paths['/api/v1/chat/stream']['post']['responses'][503]['content']['application/json'];
    chatError: Json<paths['/api/v1/chat']['post']['responses'][502]>;
    history: paths['/api/v1/sessions/{session_id}/history']['get']['responses'][200]['content']['application/json'];
    historyMissing: paths['/api/v1/sessions/{session_id}/history']['get']['responses'][404]['content']['application/json'];
    historyQuery: NonNullable<paths['/api/v1/sessions/{session_id}/history']['get']['parameters']['query']>;
    historyPath: paths['/api/v1/sessions/{session_id}/history']['get']['parameters']['path'];
    list: paths['/api/v1/sessions']['get']['responses'][200]['content']['application/json'];
    listQuery: NonNullable<paths['/api/v1/sessions']['get']['parameters']['query']>;
    deleted: paths['/api/v1/sessions/{session_id}']['delete']['responses'][200]['content']['application/json'];
    health: paths['/health']['get']['responses'][200]['content']['application/json'];
    liveness: paths['/health/liveness']['get']['responses'][200]['content']['application/json'];
    ready: paths['/health/readiness']['get']['responses'][200]['content']['application/json'];
    notReady: paths['/health/readiness']['get']['responses'][503]['content']['application/json'];
  },
): void {
  serverAccepts<typeof server.chatBody>(client.chat);
  serverAccepts<typeof server.streamBody>(client.chat);
  serverAccepts<typeof server.listQuery>(client.listQuery);
  serverAccepts<typeof server.historyQuery>(client.historyQuery);
  serverAccepts<typeof server.historyPath>({ session_id: client.sessionId });
  clientReads<Answer<'chat'>>(server.chat);
  clientReads<string>(server.stream);
  clientReads<ErrorEnvelope>(server.streamError);
  clientReads<ErrorEnvelope>(server.streamUnavailable);
  clientReads<ErrorEnvelope>(server.chatError);
  clientReads<ErrorEnvelope>(server.historyMissing);
  clientReads<Answer<'history'>>(server.history);
  clientReads<Answer<'listSessions'>>(server.list);
  clientReads<Answer<'deleteSession'>>(server.deleted);
  clientReads<Answer<'health'>>(server.health);
  clientReads<Answer<'liveness'>>(server.liveness);
  clientReads<Answer<'readiness'>>(server.ready);
  clientReads<Answer<'readiness'>>(server.notReady);
}
`;
    writeFileSync(path.join(dir, 'check.ts'), check('api'));
    writeFileSync(path.join(dir, 'check-drifted.ts'), check('api-drifted'));
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          lib: ['ES2023'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [path.join(REPO_ROOT, 'node_modules/@types')],
        },
        files: ['check.ts', 'check-drifted.ts'],
      }),
    );
    const result = await run(
      path.join(REPO_ROOT, 'node_modules/.bin/tsc'),
      ['-p', dir, '--pretty', 'false'],
      {
        cwd: dir,
        maxBuffer: 10 * 1024 * 1024,
      },
    ).then(
      () => ({ output: '' }),
      (err: { stdout?: string }) => ({ output: err.stdout ?? String(err) }),
    );
    const errors = result.output.split('\n').filter((line) => line.includes('error TS'));
    // Every error is in the drifted copy, and the drift is caught.
    expect(errors.filter((line) => !line.startsWith('check-drifted.ts'))).toEqual([]);
    expect(errors.length, result.output).toBeGreaterThan(0);
    expect(result.output).toContain("Property 'message_count' is missing");
  });
});
