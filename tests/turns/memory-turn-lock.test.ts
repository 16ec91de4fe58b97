import { describe, expect, it } from 'vitest';
import type { SessionKey } from '../../src/sessions/types.js';
import { createMemoryTurnLock } from '../../src/turns/memory-turn-lock.js';
import { runExclusive } from '../../src/turns/turn-lock.js';
import { deferred, turnLockContract } from './turn-lock-contract.js';

turnLockContract('memory', { create: (options) => createMemoryTurnLock(options) });

describe('memory turn lock', () => {
  const k: SessionKey = { tenantId: 't', sessionId: 's' };

  it('holds no state for a session once its holders and waiters are gone', async () => {
    const lock = createMemoryTurnLock();
    const gate = deferred();
    const holder = runExclusive(lock, k, () => gate.promise);
    const controller = new AbortController();
    const waiter = runExclusive(lock, k, async () => 'x', { signal: controller.signal });
    const other = runExclusive(lock, { tenantId: 't', sessionId: 'other' }, () => gate.promise);
    expect(lock.busySessions()).toBe(2);
    controller.abort(new Error('gone'));
    await expect(waiter).rejects.toThrow('gone');
    gate.resolve();
    await Promise.all([holder, other]);
    expect(lock.busySessions()).toBe(0);
  });

  it('rejects a negative or fractional waiting bound', () => {
    expect(() => createMemoryTurnLock({ maxWaitingPerSession: -1 })).toThrow(RangeError);
    expect(() => createMemoryTurnLock({ maxWaitingPerSession: 1.5 })).toThrow(RangeError);
  });
});
