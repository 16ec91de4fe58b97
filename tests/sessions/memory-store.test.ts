import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  countConversationMessages,
  createMemorySessionStore,
  type MemorySessionStore,
  type MemorySessionStoreOptions,
  memorySessionStoreOptions,
  type SessionKey,
  type StoredMessage,
} from '../../src/sessions/index.js';

const MINUTE = 60_000;
const START = Date.parse('2025-03-01T10:00:00.000Z');

function user(content: string): StoredMessage {
  return { role: 'user', content, timestamp: new Date(START).toISOString() };
}
function assistant(content: string): StoredMessage {
  return { role: 'assistant', content, timestamp: new Date(START).toISOString() };
}
function contents(messages: readonly StoredMessage[]): string[] {
  return messages.map((m) => m.content);
}
function key(tenantId: string, sessionId: string): SessionKey {
  return { tenantId, sessionId };
}

const stores: MemorySessionStore[] = [];
function makeStore(overrides: Partial<MemorySessionStoreOptions> = {}) {
  const clock = { t: START };
  const store = createMemorySessionStore({
    ttlMinutes: 30,
    maxSessions: 100,
    maxMessages: 100,
    now: () => clock.t,
    ...overrides,
  });
  stores.push(store);
  return { store, clock };
}

afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

describe('memory session store: contents', () => {
  it('creates a session on first append and returns its history with timestamps', async () => {
    const { store, clock } = makeStore();
    const first = await store.append(key('t', 's'), [user('hi'), assistant('hello')]);
    clock.t += 5_000;
    const second = await store.append(key('t', 's'), [user('order?'), assistant('shipped')]);

    expect(first.createdAt).toBe('2025-03-01T10:00:00.000Z');
    expect(second.createdAt).toBe(first.createdAt);
    expect(second.lastActivity).toBe('2025-03-01T10:00:05.000Z');
    expect(contents(second.messages)).toEqual(['hi', 'hello', 'order?', 'shipped']);

    const got = await store.get(key('t', 's'));
    expect(got).toMatchObject({ tenantId: 't', sessionId: 's', createdAt: first.createdAt });
    expect(contents(got?.messages ?? [])).toEqual(['hi', 'hello', 'order?', 'shipped']);
    expect(await store.get(key('t', 'missing'))).toBeUndefined();
  });

  it('keeps tool-call records and the interrupted flag', async () => {
    const { store } = makeStore();
    const answer: StoredMessage = {
      ...assistant('partial'),
      interrupted: true,
      tool_calls: [
        {
          id: 'c1',
          name: 'get_order',
          arguments: { order_id: 'o1' },
          status: 'ok',
          duration_ms: 3,
          result: '{}',
        },
      ],
    };
    await store.append(key('t', 's'), [user('q'), answer]);
    const got = await store.get(key('t', 's'));
    expect(got?.messages[1]).toEqual(answer);
  });

  it('deletes a session, after which it is gone', async () => {
    const { store } = makeStore();
    await store.append(key('t', 's'), [user('hi')]);
    expect(await store.delete(key('t', 's'))).toBe(true);
    expect(await store.get(key('t', 's'))).toBeUndefined();
    expect(await store.delete(key('t', 's'))).toBe(false);
    expect(await store.count()).toBe(0);
  });
});

describe('memory session store: keys and tenants', () => {
  it('never confuses tenant "a:b" + session "c" with tenant "a" + session "b:c"', async () => {
    const { store } = makeStore();
    const left = key('a:b', 'c');
    const right = key('a', 'b:c');
    await store.append(left, [user('from a:b / c')]);
    await store.append(right, [user('from a / b:c')]);

    expect(contents((await store.get(left))?.messages ?? [])).toEqual(['from a:b / c']);
    expect(contents((await store.get(right))?.messages ?? [])).toEqual(['from a / b:c']);
    expect((await store.list('a', { limit: 10, offset: 0 })).sessions.map((s) => s.session_id)).toEqual([
      'b:c',
    ]);
    expect((await store.list('a:b', { limit: 10, offset: 0 })).sessions.map((s) => s.session_id)).toEqual([
      'c',
    ]);

    expect(await store.delete(left)).toBe(true);
    expect(await store.get(right)).toBeDefined();
    expect(await store.count()).toBe(1);
  });

  it('keeps tenants apart in get, list and delete even for the same session id', async () => {
    const { store } = makeStore();
    await store.append(key('acme', 'shared-id'), [user('acme secret')]);
    await store.append(key('acme', 'only-acme'), [user('x')]);

    expect(await store.get(key('globex', 'shared-id'))).toBeUndefined();
    expect(await store.list('globex', { limit: 50, offset: 0 })).toEqual({ total: 0, sessions: [] });
    expect(await store.delete(key('globex', 'shared-id'))).toBe(false);

    await store.append(key('globex', 'shared-id'), [user('globex text')]);
    expect(contents((await store.get(key('acme', 'shared-id')))?.messages ?? [])).toEqual(['acme secret']);
    expect(contents((await store.get(key('globex', 'shared-id')))?.messages ?? [])).toEqual(['globex text']);

    const globex = await store.list('globex', { limit: 50, offset: 0 });
    expect(globex.total).toBe(1);
    expect(globex.sessions.map((s) => s.session_id)).toEqual(['shared-id']);
    expect((await store.list('acme', { limit: 50, offset: 0 })).total).toBe(2);
  });
});

describe('memory session store: idle expiry', () => {
  it('hides a session once it has been idle for the TTL, before any sweep runs', async () => {
    const onRemove = vi.fn();
    const { store, clock } = makeStore({ ttlMinutes: 10, onRemove, sweepIntervalMs: 24 * 60 * MINUTE });
    await store.append(key('t', 'idle'), [user('hi')]);
    await store.append(key('t', 'other'), [user('hi')]);

    clock.t += 10 * MINUTE - 1;
    expect(await store.get(key('t', 'idle'))).toBeDefined();
    expect(await store.count()).toBe(2);

    clock.t += 1;
    expect(await store.get(key('t', 'idle'))).toBeUndefined();
    expect(await store.list('t', { limit: 10, offset: 0 })).toEqual({ total: 0, sessions: [] });
    expect(await store.count()).toBe(0);
    expect(await store.delete(key('t', 'other'))).toBe(false);
    expect(onRemove).toHaveBeenCalledWith({ tenantId: 't', sessionId: 'idle' }, 'expired');
  });

  it('counts each append as activity, and starts afresh when an expired session is written to', async () => {
    const { store, clock } = makeStore({ ttlMinutes: 10 });
    await store.append(key('t', 's'), [user('first')]);
    clock.t += 9 * MINUTE;
    await store.append(key('t', 's'), [assistant('still here')]);
    clock.t += 9 * MINUTE;
    expect(contents((await store.get(key('t', 's')))?.messages ?? [])).toEqual(['first', 'still here']);

    clock.t += 10 * MINUTE;
    const fresh = await store.append(key('t', 's'), [user('new conversation')]);
    expect(contents(fresh.messages)).toEqual(['new conversation']);
    expect(fresh.createdAt).toBe(new Date(clock.t).toISOString());
  });

  it('sweeps expired sessions in the background (fake timers)', async () => {
    vi.useFakeTimers({ now: START });
    const onRemove = vi.fn();
    const store = createMemorySessionStore({
      ttlMinutes: 1,
      maxSessions: 10,
      maxMessages: 10,
      sweepIntervalMs: 5_000,
      onRemove,
    });
    stores.push(store);
    await store.append(key('t', 's'), [user('hi')]);

    await vi.advanceTimersByTimeAsync(55_000);
    expect(onRemove).not.toHaveBeenCalled();

    // No store call in between: only the sweeper can have removed it.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(onRemove).toHaveBeenCalledTimes(1);
    expect(onRemove).toHaveBeenCalledWith({ tenantId: 't', sessionId: 's' }, 'expired');
    expect(await store.get(key('t', 's'))).toBeUndefined();
  });

  it('close() stops the sweeper', async () => {
    vi.useFakeTimers({ now: START });
    const onRemove = vi.fn();
    const store = createMemorySessionStore({
      ttlMinutes: 1,
      maxSessions: 10,
      maxMessages: 10,
      sweepIntervalMs: 1_000,
      onRemove,
    });
    await store.append(key('t', 's'), [user('hi')]);
    expect(vi.getTimerCount()).toBe(1);

    await store.close();
    await store.close();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    expect(onRemove).not.toHaveBeenCalled();
  });

  it('never keeps the process alive: the sweeper timer is unref’d', async () => {
    const spy = vi.spyOn(globalThis, 'setInterval');
    const store = createMemorySessionStore({ ttlMinutes: 1, maxSessions: 10, maxMessages: 10 });
    stores.push(store);
    expect(spy).toHaveBeenCalledTimes(1);
    const handle = spy.mock.results[0]?.value as NodeJS.Timeout;
    expect(handle.hasRef()).toBe(false);
  });
});

describe('memory session store: capacity', () => {
  it('evicts the least recently active session when a new one would exceed MAX_SESSIONS', async () => {
    const onRemove = vi.fn();
    const { store, clock } = makeStore({ maxSessions: 3, onRemove });
    for (const id of ['s1', 's2', 's3']) {
      await store.append(key('t', id), [user(id)]);
      clock.t += 1_000;
    }
    await store.append(key('t', 's1'), [user('s1 again')]); // s2 is now the least recently active
    clock.t += 1_000;
    await store.append(key('other-tenant', 's4'), [user('s4')]);

    expect(await store.get(key('t', 's2'))).toBeUndefined();
    expect(onRemove).toHaveBeenCalledExactlyOnceWith({ tenantId: 't', sessionId: 's2' }, 'evicted');
    expect(await store.count()).toBe(3);
    expect((await store.list('t', { limit: 10, offset: 0 })).sessions.map((s) => s.session_id)).toEqual([
      's1',
      's3',
    ]);

    clock.t += 1_000;
    await store.append(key('t', 's5'), [user('s5')]);
    expect(await store.get(key('t', 's3'))).toBeUndefined();
    expect(await store.get(key('t', 's1'))).toBeDefined();
  });

  it('drops expired sessions before evicting live ones', async () => {
    const onRemove = vi.fn();
    const { store, clock } = makeStore({ maxSessions: 2, ttlMinutes: 10, onRemove });
    await store.append(key('t', 'stale'), [user('x')]);
    clock.t += 6 * MINUTE;
    await store.append(key('t', 'live'), [user('x')]);
    clock.t += 5 * MINUTE;
    await store.append(key('t', 'new'), [user('x')]);

    expect(onRemove).toHaveBeenCalledExactlyOnceWith({ tenantId: 't', sessionId: 'stale' }, 'expired');
    expect(await store.get(key('t', 'live'))).toBeDefined();
    expect(await store.count()).toBe(2);
  });

  it('keeps the newest messages, trimming whole turns from the front', async () => {
    const { store } = makeStore({ maxMessages: 5 });
    await store.append(key('t', 's'), [user('u1'), assistant('a1')]);
    await store.append(key('t', 's'), [user('u2'), assistant('a2')]);
    const snap = await store.append(key('t', 's'), [user('u3'), assistant('a3')]);
    // Dropping only u1 would leave a1 without its question, so a1 goes too.
    expect(contents(snap.messages)).toEqual(['u2', 'a2', 'u3', 'a3']);

    const listed = await store.list('t', { limit: 1, offset: 0 });
    expect(listed.sessions[0]?.message_count).toBe(4);
  });

  it('keeps an unanswered (interrupted) user message as the start of the window', async () => {
    const { store } = makeStore({ maxMessages: 4 });
    await store.append(key('t', 's'), [user('u1'), assistant('a1')]);
    await store.append(key('t', 's'), [user('u2')]);
    const snap = await store.append(key('t', 's'), [user('u3'), assistant('a3')]);
    expect(contents(snap.messages)).toEqual(['u2', 'u3', 'a3']);
  });

  it('trims a single oversized append and still keeps the newest messages', async () => {
    const { store } = makeStore({ maxMessages: 2 });
    const snap = await store.append(key('t', 's'), [
      user('u1'),
      assistant('a1'),
      user('u2'),
      assistant('a2'),
      user('u3'),
      assistant('a3'),
    ]);
    expect(contents(snap.messages)).toEqual(['u3', 'a3']);

    // With no user message in the window at all, it keeps the newest rather than nothing.
    const onlyAnswers = await store.append(key('t', 'x'), [
      assistant('x1'),
      assistant('x2'),
      assistant('x3'),
    ]);
    expect(contents(onlyAnswers.messages)).toEqual(['x2', 'x3']);
  });
});

describe('memory session store: memory budget', () => {
  /** The store's measure: UTF-16 bytes of the content plus of the tool-call records as JSON. */
  function sizeOf(message: StoredMessage): number {
    return (
      2 * (message.content.length + (message.tool_calls ? JSON.stringify(message.tool_calls).length : 0))
    );
  }
  const text = (chars: number, fill = 'x') => fill.repeat(chars);

  it('counts message contents and tool-call records', async () => {
    const { store } = makeStore();
    const answer: StoredMessage = {
      ...assistant('Your order has shipped.'),
      tool_calls: [
        {
          id: 'c1',
          name: 'get_order',
          arguments: { order_id: 'A-1' },
          status: 'ok',
          duration_ms: 3,
          result: '{"status":"shipped"}',
        },
      ],
    };
    await store.append(key('t', 's'), [user('Where is order A-1?'), answer]);
    expect(store.bytesHeld()).toBe(2 * 'Where is order A-1?'.length + sizeOf(answer));
    expect(sizeOf(answer)).toBeGreaterThan(2 * answer.content.length);
  });

  it('evicts the least recently active sessions, in that order, until an append fits', async () => {
    const onRemove = vi.fn();
    const { store, clock } = makeStore({ maxBytes: 1_000, onRemove });
    for (const id of ['s1', 's2', 's3']) {
      await store.append(key('t', id), [user(text(100))]); // 200 bytes each
      clock.t += 1_000;
    }
    await store.append(key('t', 's1'), [assistant(text(100))]); // s1 now 400 bytes and the most recent
    clock.t += 1_000;
    expect(store.bytesHeld()).toBe(800);
    expect(onRemove).not.toHaveBeenCalled();

    await store.append(key('other-tenant', 's4'), [user(text(300))]); // 600 bytes: 1,400 needs 400 freed

    expect(onRemove.mock.calls).toEqual([
      [{ tenantId: 't', sessionId: 's2' }, 'evicted'],
      [{ tenantId: 't', sessionId: 's3' }, 'evicted'],
    ]);
    expect(store.bytesHeld()).toBe(1_000);
    expect(await store.get(key('t', 's2'))).toBeUndefined();
    expect(await store.get(key('t', 's3'))).toBeUndefined();
    expect(contents((await store.get(key('t', 's1')))?.messages ?? [])).toEqual([text(100), text(100)]);
    expect(contents((await store.get(key('other-tenant', 's4')))?.messages ?? [])).toEqual([text(300)]);
  });

  it('reports expired sessions as expired, not evicted, when freeing room', async () => {
    const onRemove = vi.fn();
    const { store, clock } = makeStore({ ttlMinutes: 10, maxBytes: 1_000, onRemove });
    await store.append(key('t', 'old'), [user(text(300))]);
    clock.t += 5 * MINUTE;
    await store.append(key('t', 'live'), [user(text(100))]);
    clock.t += 6 * MINUTE; // `old` is now expired but not yet swept
    await store.append(key('t', 'live'), [assistant(text(200))]);

    expect(onRemove).toHaveBeenCalledExactlyOnceWith({ tenantId: 't', sessionId: 'old' }, 'expired');
    expect(store.bytesHeld()).toBe(600);
  });

  it('never holds more than the budget, and its total matches what it holds, across mixed appends', async () => {
    const budget = 6_000;
    const reasons = new Set<string>();
    const { store, clock } = makeStore({
      maxBytes: budget,
      maxMessages: 8,
      maxSessions: 6,
      ttlMinutes: 1,
      onRemove: (_key, reason) => reasons.add(reason),
    });
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((id) => key(id < 'e' ? 't1' : 't2', id));
    // Deterministic pseudo-random sequence so a failure reproduces.
    let seed = 42;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let i = 0; i < 400; i++) {
      clock.t += next(20_000);
      const target = keys[next(keys.length)] ?? key('t1', 'a');
      const answer: StoredMessage = { ...assistant(text(next(900), 'é')) };
      if (next(3) === 0) {
        answer.tool_calls = [
          { id: `c${i}`, name: 'lookup', arguments: { q: text(next(200)) }, status: 'ok', duration_ms: 1 },
        ];
      }
      const batch = next(4) === 0 ? [user(text(next(1_500)))] : [user(text(next(400))), answer];
      await store.append(target, batch);

      expect(store.bytesHeld()).toBeLessThanOrEqual(budget);
      let held = 0;
      for (const k of keys) {
        for (const message of (await store.get(k))?.messages ?? []) held += sizeOf(message);
      }
      expect(store.bytesHeld()).toBe(held);
    }
    // The sequence really went through both ways of dropping whole sessions.
    expect([...reasons].sort()).toEqual(['evicted', 'expired']);
  });

  it('trims the oldest whole turns of a session that alone exceeds the budget, evicting nothing', async () => {
    const onRemove = vi.fn();
    const { store } = makeStore({ maxBytes: 1_000, onRemove });
    await store.append(key('t', 'small'), [user(text(50))]); // 100 bytes
    const s = key('t', 'big');
    await store.append(s, [user(text(100, '1')), assistant(text(100, '1'))]);
    await store.append(s, [user(text(100, '2')), assistant(text(100, '2'))]);
    expect(store.bytesHeld()).toBe(900);

    const after = await store.append(s, [user(text(100, '3')), assistant(text(100, '3'))]);

    // Dropping the first user message would have been enough bytes-wise, but not its answer alone.
    expect(contents(after.messages)).toEqual([
      text(100, '2'),
      text(100, '2'),
      text(100, '3'),
      text(100, '3'),
    ]);
    expect(store.bytesHeld()).toBe(900);
    expect(onRemove).not.toHaveBeenCalled();
    expect(contents((await store.get(key('t', 'small')))?.messages ?? [])).toEqual([text(50)]);
  });

  it('keeps the budget even when the newest message alone is larger than it', async () => {
    const { store } = makeStore({ maxBytes: 1_000 });
    await store.append(key('t', 's'), [user('hi'), assistant('hello')]);
    const after = await store.append(key('t', 's'), [user(text(600))]);
    expect(after.messages).toEqual([]);
    expect(store.bytesHeld()).toBe(0);
  });

  it('returns to zero once every session is deleted, expired or evicted', async () => {
    const { store, clock } = makeStore({ ttlMinutes: 10, maxSessions: 3, maxMessages: 3 });
    await store.append(key('t', 'evicted'), [user('first'), assistant('gone when a fourth session arrives')]);
    await store.append(key('t', 'deleted'), [user('delete me'), assistant('ok')]);
    await store.append(key('t', 'trimmed'), [
      user('one'),
      assistant('two'),
      user('three'),
      assistant('four'),
    ]);
    await store.append(key('u', 'expires'), [user('bye')]);
    expect(await store.count()).toBe(3);
    expect(store.bytesHeld()).toBe(
      2 * ('delete me'.length + 'ok'.length + 'three'.length + 'four'.length + 'bye'.length),
    );

    expect(await store.delete(key('t', 'deleted'))).toBe(true);
    expect(store.bytesHeld()).toBe(2 * ('three'.length + 'four'.length + 'bye'.length));

    clock.t += 10 * MINUTE;
    expect(await store.count()).toBe(0);
    expect(store.bytesHeld()).toBe(0);
  });
});

describe('memory session store: packing idle sessions', () => {
  const turn = (i: number): StoredMessage[] => [
    { role: 'user', content: `where is order ${i}?`, timestamp: new Date(START + i).toISOString() },
    {
      role: 'assistant',
      content: `order ${i} shipped`,
      timestamp: new Date(START + i + 5).toISOString(),
      turn_id: `turn-${i}`,
      tool_calls: [
        {
          id: `call-${i}`,
          name: 'get_order',
          arguments: { order_id: i, note: null, tags: ['a', 'é'] },
          status: 'ok',
          duration_ms: 3,
          result: '{"status":"shipped"}',
        },
      ],
    },
  ];

  it('keeps a session in use as it is, packs it once idle, and gives back the same history', async () => {
    vi.useFakeTimers({ now: START });
    const store = createMemorySessionStore({
      ttlMinutes: 30,
      maxSessions: 10,
      maxMessages: 10,
      packIdleMs: 10_000,
    });
    stores.push(store);
    const written = await store.append(key('t', 's'), turn(1));
    const before = structuredClone(written);

    // Read every 8 s, within the idle window: never packed.
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(8_000);
      expect((await store.get(key('t', 's')))?.messages).toBe(written.messages);
    }
    expect(store.unpackedCount()).toBe(1);

    // Idle for the window and one sweep: packed, and read back unchanged.
    await vi.advanceTimersByTimeAsync(10_000 + 2_500);
    expect(store.unpackedCount()).toBe(0);
    expect(await store.get(key('t', 's'))).toEqual(before);
    expect(store.unpackedCount()).toBe(1);

    // A later turn goes on from the unpacked history.
    await vi.advanceTimersByTimeAsync(30_000);
    const next = await store.append(key('t', 's'), turn(2));
    expect(next.messages).toEqual([...before.messages, ...turn(2)]);
  });

  it('gives back every kind of message exactly, field order included, once packed', async () => {
    vi.useFakeTimers({ now: START });
    const store = createMemorySessionStore({
      ttlMinutes: 30,
      maxSessions: 10,
      maxMessages: 20,
      packIdleMs: 1_000,
    });
    stores.push(store);
    const call = (result?: string) => ({
      id: 'c',
      name: 'get_order',
      arguments: { order_id: 1 },
      status: 'error' as const,
      duration_ms: 0,
      ...(result === undefined ? {} : { result }),
    });
    const messages: StoredMessage[] = [
      { role: 'user', content: 'hi', timestamp: '2025-03-01T10:00:00Z' },
      { role: 'operator', content: 'an operator', timestamp: new Date(START - 50).toISOString() },
      { role: 'assistant', content: 'cut', timestamp: new Date(START).toISOString(), interrupted: true },
      {
        role: 'assistant',
        content: 'x',
        timestamp: new Date(START + 1).toISOString(),
        tool_calls: [
          call('{ "spaced": true }'),
          call('null'),
          call('[1,2]'),
          call('{"a":"\\u00e9"}'),
          call(),
        ],
        interrupted: false,
        turn_id: 't1',
      },
      { role: 'assistant', content: 'y', timestamp: new Date(START + 2).toISOString(), turn_id: 't2' },
    ];
    // Turn ids that are UUIDs, and others that look like a packed one.
    const ids = [
      '0f8e2c1a-93b4-4d6e-8a7f-1b2c3d4e5f60',
      '0F8E2C1A-93B4-4D6E-8A7F-1B2C3D4E5F60',
      '~',
      '~~x',
      '~Dy4sGpO0TW6KfxssPU5fYA',
    ].map(
      (turn_id, i): StoredMessage => ({
        role: 'assistant',
        content: `id ${i}`,
        timestamp: new Date(START + 3).toISOString(),
        turn_id,
      }),
    );
    await store.append(key('t', 's'), messages);
    await store.append(key('t', 'ids'), ids);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(store.unpackedCount()).toBe(0);
    const back = (await store.get(key('t', 's')))?.messages;
    expect(JSON.stringify(back)).toBe(JSON.stringify(messages));
    expect(JSON.stringify((await store.get(key('t', 'ids')))?.messages)).toBe(JSON.stringify(ids));
  });

  it('packs idle sessions in bounded batches without holding the event loop, all of them in the end', async () => {
    vi.useFakeTimers({ now: START });
    const store = createMemorySessionStore({
      ttlMinutes: 30,
      maxSessions: 2_000,
      maxMessages: 10,
      packIdleMs: 1_000,
    });
    stores.push(store);
    for (let i = 0; i < 1_000; i++) await store.append(key('t', `s${i}`), turn(i));
    expect(store.unpackedCount()).toBe(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    // The first batch ran on the tick; the rest follow one event-loop turn after another.
    expect(store.unpackedCount()).toBeLessThan(1_000);
    await vi.advanceTimersByTimeAsync(10);
    expect(store.unpackedCount()).toBe(0);
    expect((await store.get(key('t', 's999')))?.messages).toEqual(turn(999));
  });

  it('holds at most 4,096 sessions unpacked however many are in use', async () => {
    const { store } = makeStore({ maxSessions: 5_000, packIdleMs: 3_600_000 });
    for (let i = 0; i < 4_200; i++) await store.append(key('t', `s${i}`), turn(i));
    expect(store.unpackedCount()).toBe(4_096);
    expect((await store.get(key('t', 's0')))?.messages).toEqual(turn(0));
    expect((await store.get(key('t', 's4199')))?.messages).toEqual(turn(4_199));
  });
});

describe('memory session store: list', () => {
  it('pages sessions most recent activity first with the total', async () => {
    const { store, clock } = makeStore();
    for (const id of ['s1', 's2', 's3', 's4', 's5']) {
      await store.append(key('t', id), [user(`hello ${id}`), assistant('hi')]);
      clock.t += 1_000;
    }
    await store.append(key('t', 's2'), [user('back again')]);

    const first = await store.list('t', { limit: 2, offset: 0 });
    expect(first.total).toBe(5);
    expect(first.sessions.map((s) => s.session_id)).toEqual(['s2', 's5']);
    expect(first.sessions[0]).toEqual({
      session_id: 's2',
      message_count: 3,
      created_at: '2025-03-01T10:00:01.000Z',
      last_activity: '2025-03-01T10:00:05.000Z',
      attributes: {},
    });

    const second = await store.list('t', { limit: 2, offset: 2 });
    expect(second.sessions.map((s) => s.session_id)).toEqual(['s4', 's3']);
    const last = await store.list('t', { limit: 2, offset: 4 });
    expect(last.sessions.map((s) => s.session_id)).toEqual(['s1']);
    expect(await store.list('t', { limit: 2, offset: 10 })).toEqual({ total: 5, sessions: [] });
  });
});

describe('session helpers and options', () => {
  it('counts only user and assistant messages', () => {
    expect(
      countConversationMessages([
        { role: 'system' },
        { role: 'user' },
        { role: 'assistant' },
        { role: 'tool' },
        { role: 'assistant' },
      ]),
    ).toBe(3);
    expect(countConversationMessages([])).toBe(0);
  });

  it('maps the configuration names onto store options', () => {
    expect(
      memorySessionStoreOptions({
        SESSION_TTL_MINUTES: 5,
        MAX_SESSIONS: 7,
        MAX_SESSIONS_PER_TENANT: 4,
        SESSION_MAX_MESSAGES: 9,
        SESSION_STORE_MAX_MB: 3,
        SESSION_PACK_IDLE_SECONDS: 20,
      }),
    ).toEqual({
      ttlMinutes: 5,
      maxSessions: 7,
      maxSessionsPerTenant: 4,
      maxMessages: 9,
      maxBytes: 3 * 1024 * 1024,
      packIdleMs: 20_000,
    });
  });

  it('rejects nonsensical limits at construction', () => {
    expect(() => createMemorySessionStore({ ttlMinutes: 0, maxSessions: 1, maxMessages: 1 })).toThrow(
      RangeError,
    );
    expect(() => createMemorySessionStore({ ttlMinutes: 1, maxSessions: 0, maxMessages: 1 })).toThrow(
      /maxSessions/,
    );
    expect(() => createMemorySessionStore({ ttlMinutes: 1, maxSessions: 1, maxMessages: 1.5 })).toThrow(
      /maxMessages/,
    );
    expect(() =>
      createMemorySessionStore({ ttlMinutes: 1, maxSessions: 1, maxMessages: 1, maxBytes: 0 }),
    ).toThrow(/maxBytes/);
  });
});
