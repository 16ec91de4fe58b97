import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI, step } from '../helpers/fake-openai-server.js';
import {
  freePort,
  type ServerProcess,
  spawnServer,
  useServerBuild,
  waitForHttp,
} from '../helpers/server-process.js';

useServerBuild();

/** Not key-shaped on purpose: only the configured-secret pass can catch it. */
const PROVIDER_KEY = 'provider-key-for-redaction-test-0123456789';
const API_KEY = 'client-api-key-redaction-42';

const PII = {
  email: 'ada.private@example.com',
  otherEmail: 'grace.hidden@example.org',
  phone: '+49 170 1234567',
  card: '4111 1111 1111 1111',
  iban: 'DE89 3704 0044 0532 0130 00',
};

const tmp = mkdtempSync(path.join(os.tmpdir(), 'log-redaction-'));
const logDir = path.join(tmp, 'logs');
let fake: FakeOpenAI;
let proc: ServerProcess;

async function chat(route: 'chat' | 'chat/stream', sessionId: string, message: string) {
  return fetch(`${proc.baseUrl}/api/v1/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
    body: JSON.stringify({ session_id: sessionId, message }),
  });
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  const port = await freePort();
  proc = spawnServer({
    SERVER_HOST: '127.0.0.1',
    SERVER_PORT: String(port),
    MCP_SERVER_URL: '',
    LLM_PROVIDER: 'openai',
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_API_KEY: PROVIDER_KEY,
    OPENAI_MODEL: 'gpt-test',
    LLM_MAX_RETRIES: '0',
    API_KEYS: `${API_KEY}:acme`,
    ORDER_DB_PATH: path.join(tmp, 'orders.db'),
    EMAIL_OUTBOX_DIR: path.join(tmp, 'outbox'),
    EMAIL_ALLOWED_DOMAINS: 'shop.example',
    LOG_LEVEL: 'debug',
    LOG_TO_FILE: 'true',
    LOG_FILE_PATH: path.join(logDir, 'app.log'),
  });
  await waitForHttp(`${proc.baseUrl}/health`, proc);
  // Room for the shared server build on a loaded machine.
}, 180_000);

afterAll(async () => {
  await proc?.stop('SIGKILL');
  await fake?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('a log at debug level, written by the real server', { timeout: 60_000 }, () => {
  it('holds none of the PII and secrets that went through real turns', async () => {
    const seeded = `I am ${PII.email}, call ${PII.phone}, card ${PII.card}, IBAN ${PII.iban}`;
    // Turn 1: the model creates an order with the customer's data, then mails an address the
    // domain allow-list refuses (a tool error that quotes the address), then repeats the data.
    fake.script(
      step.toolCalls([
        {
          id: 'call_1',
          name: 'create_order',
          arguments: {
            customer_name: 'Ada Private',
            customer_email: PII.email,
            billing_address: `1 Hidden Lane, phone ${PII.phone}`,
            product_sku: 'SKU-1',
            quantity: 1,
            order_amount: 12.5,
            remarks: `pay by ${PII.card} or ${PII.iban}`,
          },
        },
      ]),
      step.toolCalls([
        {
          id: 'call_2',
          name: 'send_email',
          arguments: { to: PII.otherEmail, subject: 'Your order', body: `Card ${PII.card}` },
        },
      ]),
      step.text(`Noted ${PII.email}, ${PII.phone}, ${PII.card} and ${PII.iban}.`),
    );
    const first = await chat('chat', 'pii-1', seeded);
    expect(first.status).toBe(200);
    const answer = (await first.json()) as { tool_calls: Array<{ name: string; status: string }> };
    expect(answer.tool_calls.map((c) => [c.name, c.status])).toEqual([
      ['create_order', 'ok'],
      ['send_email', 'error'],
    ]);

    // Turn 2, streamed.
    fake.script(step.text(`Streaming back ${PII.otherEmail} and ${PII.iban}`));
    const second = await chat('chat/stream', 'pii-2', `My other address is ${PII.otherEmail}`);
    expect(await second.text()).toContain('"type":"done"');

    // Turn 3: the provider refuses the key and quotes it in its error body (logged at debug).
    fake.script(
      step.error(401, {
        body: {
          error: { message: `Incorrect API key provided: ${PROVIDER_KEY}.`, type: 'invalid_request_error' },
        },
      }),
    );
    const third = await chat('chat', 'pii-3', `still me, ${PII.email}`);
    expect(third.status).toBeGreaterThanOrEqual(500);
    expect(JSON.stringify(await third.json())).not.toContain(PROVIDER_KEY);

    expect(await proc.stop('SIGTERM')).toBe(0);
    const files = readdirSync(logDir).filter((f) => f.endsWith('.log'));
    const log = files.map((f) => readFileSync(path.join(logDir, f), 'utf8')).join('');
    // The turns were logged at debug, with their text masked rather than dropped.
    expect(log).toContain('chat turn received');
    expect(log).toContain('language model call failed');
    for (const mask of ['[email]', '[phone]', '[card]', '[iban]']) expect(log).toContain(mask);

    for (const where of [log, proc.output()]) {
      for (const value of [
        ...Object.values(PII),
        '4111111111111111',
        'DE89370400440532013000',
        PROVIDER_KEY,
        API_KEY,
      ]) {
        expect(where).not.toContain(value);
      }
      for (const line of where.split('\n').filter((l) => l.startsWith('{'))) {
        expect(() => JSON.parse(line)).not.toThrow();
      }
    }
  });
});
