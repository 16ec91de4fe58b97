import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TURN_QUEUE_FULL_MESSAGE } from '../../src/turns/errors.js';
import type { MemoryTurnLock } from '../../src/turns/memory-turn-lock.js';
import { type FullApp, startFullApp } from '../helpers/full-app.js';
import { createScriptedModel } from '../helpers/scripted-model.js';

// Every turn hangs until its deadline, so the first holds the session while the others queue.
const model = createScriptedModel(() => [{ hang: true }]);
let full: FullApp;

beforeAll(async () => {
  full = await startFullApp({ TURN_TIMEOUT_MS: '3000' }, { model });
}, 30_000);

afterAll(async () => {
  await full?.close();
});

function chat(message: string) {
  return full.app.inject({ method: 'POST', url: '/api/v1/chat', payload: { session_id: 'busy', message } });
}

describe('turns queued on one session over HTTP', () => {
  it('refuses the 101st waiting turn with 429 RATE_LIMIT_EXCEEDED and Retry-After, the others time out in turn', async () => {
    const lock = full.runtime.deps.turnLock as MemoryTurnLock;
    const key = { tenantId: 'default', sessionId: 'busy' };
    const queued = Array.from({ length: 101 }, (_, i) => chat(`turn ${i}`));
    await expect.poll(() => lock.waitingOn(key), { timeout: 10_000 }).toBe(100);

    const refused = await chat('one too many');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toMatchObject({
      error: 'RATE_LIMIT_EXCEEDED',
      message: TURN_QUEUE_FULL_MESSAGE,
      request_id: refused.headers['x-request-id'],
    });

    // The deadline counts from arrival, waiting included; the refused turn never reached the model.
    const statuses = (await Promise.all(queued)).map((r) => r.statusCode);
    expect(new Set(statuses)).toEqual(new Set([504]));
    expect(model.requests.map((r) => r.messages.at(-1)?.content)).not.toContain('one too many');
    expect(lock.waitingOn(key)).toBe(0);
    expect(lock.busySessions()).toBe(0);
  }, 30_000);
});
