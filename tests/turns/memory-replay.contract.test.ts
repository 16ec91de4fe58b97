import { describe, expect, it } from 'vitest';
import { createMemoryReplayStore } from '../../src/turns/memory-replay.js';
import { replayStoreContract } from './replay-contract.js';

replayStoreContract('memory', {
  async create(limits) {
    const store = createMemoryReplayStore(limits);
    // One process: the reader is the same store.
    return { writer: store, reader: store };
  },
  async expire(seconds) {
    // The store's expiry timers run on the real clock (followers need it too): wait the TTL out.
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 100));
  },
});

describe('memory replay store bounds', () => {
  it('keeps at most maxEventsTotal events, dropping the oldest finished turns first', async () => {
    const store = createMemoryReplayStore({ ttlSeconds: 600, maxEventsTotal: 10 });
    const key = (turnId: string) => ({ tenantId: 't', sessionId: 's', turnId });
    const record = (turnId: string) => ({
      ...key(turnId),
      status: 'running' as const,
      requestId: 'r',
      startedAt: new Date().toISOString(),
      toolCalls: [],
    });
    for (const id of ['old', 'newer']) {
      await store.begin(record(id));
      for (let seq = 1; seq <= 4; seq += 1) await store.append(key(id), { seq, data: {} }, seq === 4);
      await store.finish(key(id), { status: 'completed', toolCalls: [] });
    }
    await store.begin(record('running'));
    for (let seq = 1; seq <= 4; seq += 1) await store.append(key('running'), { seq, data: {} }, false);
    expect(await store.get(key('old'))).toBeUndefined();
    expect(await store.get(key('newer'))).toBeDefined();
    expect((await store.read(key('running'), 0, { waitMs: 0 })).events).toHaveLength(4);
    expect(store.size()).toBe(2);
    await store.close();
  });
});
