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

describe('memory replay store: finished turns', () => {
  const key = { tenantId: 'acme', sessionId: 's-1', turnId: 'turn-1' };
  const begin = (store: ReturnType<typeof createMemoryReplayStore>, k = key) =>
    store.begin({
      ...k,
      status: 'running',
      requestId: 'req-1',
      owner: 'cust-1',
      startedAt: '2026-01-02T03:04:05.678Z',
      toolCalls: [],
    });
  const toolCall = { id: 'call_1', name: 'get_order', arguments: { order_id: 42, note: 'a "b"' } };
  const usage = { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 };
  const events = [
    { type: 'token', content: 'Let me look.', session_id: 's-1' },
    { type: 'tool_call', ...toolCall, session_id: 's-1' },
    { type: 'tool_result', id: 'call_1', name: 'get_order', status: 'ok', session_id: 's-1' },
    { type: 'token', content: '\n\n', session_id: 's-1' },
    { type: 'token', content: 'Order 42 ', session_id: 's-1' },
    { type: 'token', content: 'shipped. ✓', session_id: 's-1' },
    // Not of the usual shapes: kept as it was.
    { type: 'token', content: 'x', session_id: 'elsewhere' },
    { type: 'custom', value: [1, null, { deep: true }] },
    {
      type: 'done',
      turn_id: 'turn-1',
      session_id: 's-1',
      message_count: 2,
      request_id: 'req-1',
      usage,
    },
  ];

  it('replays every event and reads back the record exactly as they were given, once finished', async () => {
    const store = createMemoryReplayStore({ ttlSeconds: 600 });
    await begin(store);
    for (const [i, data] of events.entries()) {
      await store.append(key, { seq: i + 1, data }, i === events.length - 1);
    }
    const live = await store.read(key, 0, { waitMs: 0 });
    await store.finish(key, {
      status: 'completed',
      message: 'Let me look.\n\nOrder 42 shipped. ✓',
      toolCalls: [{ ...toolCall, status: 'ok', duration_ms: 7, result: '{"order":{}}' }],
      usage,
    });
    const replayed = await store.read(key, 0, { waitMs: 0 });
    expect(replayed).toEqual(live);
    expect(replayed.events.map((e) => e.data)).toEqual(events);
    expect((await store.read(key, 4, { waitMs: 0 })).events.map((e) => e.seq)).toEqual([5, 6, 7, 8, 9]);
    const record = await store.get(key);
    expect(record).toEqual({
      ...key,
      status: 'completed',
      requestId: 'req-1',
      owner: 'cust-1',
      startedAt: '2026-01-02T03:04:05.678Z',
      endedAt: expect.any(String),
      message: 'Let me look.\n\nOrder 42 shipped. ✓',
      // The result is not part of a turn's status.
      toolCalls: [{ ...toolCall, status: 'ok', duration_ms: 7 }],
      usage,
    });
    await store.close();
  });

  it('keeps tokens that do not spell the stored answer, and a turn without answer or usage', async () => {
    const store = createMemoryReplayStore({ ttlSeconds: 600 });
    await begin(store);
    await store.append(key, { seq: 1, data: { type: 'token', content: 'Half', session_id: 's-1' } }, false);
    await store.finish(key, { status: 'interrupted', message: 'Other', toolCalls: [] });
    expect((await store.read(key, 0, { waitMs: 0 })).events).toEqual([
      { seq: 1, data: { type: 'token', content: 'Half', session_id: 's-1' } },
    ]);
    expect(await store.get(key)).toMatchObject({ status: 'interrupted', message: 'Other' });

    const quiet = { ...key, turnId: 'turn-2' };
    await begin(store, quiet);
    await store.finish(quiet, { status: 'cancelled', toolCalls: [] });
    const record = await store.get(quiet);
    expect(record).toMatchObject({ status: 'cancelled', toolCalls: [] });
    expect(record).not.toHaveProperty('message');
    expect(record).not.toHaveProperty('usage');
    expect(await store.read(quiet, 0, { waitMs: 0 })).toEqual({ events: [], ended: true });
    await store.close();
  });

  it('reads back each status, end time and usage of a finished turn exactly, field order included', async () => {
    const clock = { t: Date.parse('2026-01-02T03:04:06.000Z') };
    const store = createMemoryReplayStore({ ttlSeconds: 600, now: () => clock.t });
    const statuses = ['completed', 'failed', 'cancelled', 'interrupted', 'awaiting_approval'] as const;
    const usages = [
      { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      // Not the usual shape: kept as it was given.
      { completion_tokens: 2, prompt_tokens: 3, total_tokens: 5 },
      { prompt_tokens: 0.5, completion_tokens: 2, total_tokens: 2.5 },
      undefined,
    ];
    const requestIds = ['9b2f6a1e-4c3d-4e5f-8a6b-7c8d9e0f1a2b', '~req', 'req-1', '~~'];
    for (const [i, status] of statuses.entries()) {
      for (const [j, usage] of usages.entries()) {
        const k = { ...key, turnId: `turn-${i}-${j}` };
        await store.begin({
          ...k,
          status: 'running',
          requestId: requestIds[j] as string,
          // Not the canonical ISO form: kept as a string.
          startedAt: j === 3 ? '2026-01-02T03:04:05Z' : '2026-01-02T03:04:05.678Z',
          toolCalls: [],
        });
        clock.t += 7;
        await store.finish(k, { status, toolCalls: [], ...(usage ? { usage } : {}) });
        const record = await store.get(k);
        expect(JSON.stringify(record)).toBe(
          JSON.stringify({
            turnId: k.turnId,
            tenantId: k.tenantId,
            sessionId: k.sessionId,
            status,
            requestId: requestIds[j],
            startedAt: j === 3 ? '2026-01-02T03:04:05Z' : '2026-01-02T03:04:05.678Z',
            endedAt: new Date(clock.t).toISOString(),
            toolCalls: [],
            ...(usage ? { usage } : {}),
          }),
        );
      }
    }
    await store.close();
  });

  it('keeps two turns with one turn id apart when both run, under other tenants or sessions', async () => {
    const store = createMemoryReplayStore({ ttlSeconds: 600 });
    const a = { tenantId: 'a', sessionId: 's', turnId: 't' };
    const b = { tenantId: 'b', sessionId: 's', turnId: 't' };
    const c = { tenantId: 'a', sessionId: 'other', turnId: 't' };
    for (const k of [a, b, c]) {
      await begin(store, k);
      await store.append(k, { seq: 1, data: { type: 'token', content: k.tenantId + k.sessionId } }, true);
    }
    await store.finish(b, { status: 'completed', toolCalls: [] });
    for (const k of [a, b, c]) {
      expect((await store.read(k, 0, { waitMs: 0 })).events[0]?.data).toEqual({
        type: 'token',
        content: k.tenantId + k.sessionId,
      });
    }
    expect(store.size()).toBe(3);
    await store.close();
    expect(store.size()).toBe(0);
  });

  it('forgets a finished turn at its TTL on the store clock, with no timer per turn', async () => {
    const clock = { t: Date.parse('2026-01-02T03:04:05.678Z') };
    const store = createMemoryReplayStore({ ttlSeconds: 600, now: () => clock.t });
    await begin(store);
    await store.append(key, { seq: 1, data: { type: 'done' } }, true);
    await store.finish(key, { status: 'completed', toolCalls: [] });
    clock.t += 599_000;
    expect((await store.get(key))?.status).toBe('completed');
    clock.t += 1_000;
    expect(await store.get(key)).toBeUndefined();
    expect(store.size()).toBe(0);
    await store.close();
  });
});
