import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ATTRIBUTE_VALUE_LENGTH } from '../../src/sessions/attributes.js';
import { SessionAttributesError } from '../../src/sessions/errors.js';
import type { SessionLimits } from '../../src/sessions/store-support.js';
import type { SessionKey, SessionStore, StoredMessage } from '../../src/sessions/types.js';

/** Turn ordering is the TurnLock's job, not the store's: the contract covers data only. */
export type ContractStore = SessionStore;

export interface ContractEngine {
  /**
   * `manual`: the store reads the `now` it is given, so tests move time themselves.
   * `real`: the engine keeps time itself (Redis expiry); TTL tests use short real TTLs and
   * `awaitExpiry`.
   */
  clock: 'manual' | 'real';
  /** A store on an empty engine with these limits (and, for a manual clock, this `now`). */
  create(limits: SessionLimits & { now: () => number }): Promise<ContractStore>;
  /** Real clock only: resolves once the engine has expired the session. */
  awaitExpiry?(store: ContractStore, key: SessionKey): Promise<void>;
}

const MINUTE = 60_000;
const START = Date.parse('2025-03-01T10:00:00.000Z');
const DEFAULTS: SessionLimits = {
  ttlMs: 30 * MINUTE,
  maxSessions: 100,
  maxSessionsPerTenant: 100,
  maxMessages: 100,
};

function user(content: string): StoredMessage {
  return { role: 'user', content, timestamp: new Date(START).toISOString() };
}
function assistant(content: string): StoredMessage {
  return { role: 'assistant', content, timestamp: new Date(START).toISOString() };
}
function contents(messages: readonly StoredMessage[] | undefined): string[] {
  return (messages ?? []).map((m) => m.content);
}
function key(tenantId: string, sessionId: string): SessionKey {
  return { tenantId, sessionId };
}
const PAGE = { limit: 100, offset: 0 };

/** Ids that break naive key joining: separators, escapes, glob and hash-tag characters, long ids. */
const AWKWARD_IDS = [
  'a:b',
  'a/b',
  'a%3Ab',
  '100%',
  'a\\b',
  'with space',
  '*',
  '[x]?',
  '{tag}',
  'ünïcødé-会话-🙂',
  'x'.repeat(255),
  '会'.repeat(255),
];

/** Runs the shared SessionStore contract against one engine. */
export function sessionStoreContract(name: string, engine: ContractEngine): void {
  const open: ContractStore[] = [];
  let clock = START;

  async function makeStore(overrides: Partial<SessionLimits> = {}): Promise<ContractStore> {
    clock = START;
    const store = await engine.create({ ...DEFAULTS, ...overrides, now: () => clock });
    open.push(store);
    return store;
  }
  /** Moves time on; a real-clock engine must order activity strictly without it. */
  function tick(ms = 1000): void {
    clock += ms;
  }

  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  describe(`${name} session store (contract): contents`, () => {
    it('creates a session on first append and returns its history and timestamps', async () => {
      const store = await makeStore();
      const first = await store.append(key('t', 's'), [user('hi'), assistant('hello')]);
      tick(5000);
      const second = await store.append(key('t', 's'), [user('order?'), assistant('shipped')]);

      expect(second.createdAt).toBe(first.createdAt);
      expect(contents(second.messages)).toEqual(['hi', 'hello', 'order?', 'shipped']);
      if (engine.clock === 'manual') {
        expect(first.createdAt).toBe('2025-03-01T10:00:00.000Z');
        expect(second.lastActivity).toBe('2025-03-01T10:00:05.000Z');
      } else {
        expect(Date.parse(second.lastActivity)).toBeGreaterThanOrEqual(Date.parse(first.lastActivity));
      }

      const got = await store.get(key('t', 's'));
      expect(got).toMatchObject({ tenantId: 't', sessionId: 's', createdAt: first.createdAt });
      expect(got?.lastActivity).toBe(second.lastActivity);
      expect(contents(got?.messages)).toEqual(['hi', 'hello', 'order?', 'shipped']);
      expect(await store.get(key('t', 'missing'))).toBeUndefined();
      expect(await store.count()).toBe(1);
    });

    it('keeps tool-call records, results and the interrupted flag exactly', async () => {
      const store = await makeStore();
      const answer: StoredMessage = {
        ...assistant('partial'),
        interrupted: true,
        tool_calls: [
          {
            id: 'c1',
            name: 'get_order',
            arguments: { order_id: 'o1', nested: { list: [1, 'two', null] } },
            status: 'ok',
            duration_ms: 3,
            result: '{"ok":true}',
          },
        ],
      };
      await store.append(key('t', 's'), [user('q'), answer]);
      const got = await store.get(key('t', 's'));
      expect(got?.messages).toEqual([user('q'), answer]);
    });

    it('hands out immutable snapshots, and later edits of the caller’s objects change nothing', async () => {
      const store = await makeStore();
      const input: StoredMessage[] = [
        user('hi'),
        {
          ...assistant('hello'),
          tool_calls: [{ id: 'c', name: 'x', arguments: { a: 1 }, status: 'ok', duration_ms: 1 }],
        },
      ];
      const snap = await store.append(key('t', 's'), input, { status: 'open' });

      input.push(user('sneaky'));
      (input[0] as StoredMessage).content = 'changed';
      (input[1]?.tool_calls?.[0]?.arguments as { a: number }).a = 2;

      expect(() => (snap.messages as StoredMessage[]).push(user('also sneaky'))).toThrow(TypeError);
      expect(() => {
        (snap.messages[0] as StoredMessage).content = 'edited';
      }).toThrow(TypeError);
      expect(() => {
        (snap.attributes as Record<string, string>).status = 'edited';
      }).toThrow(TypeError);

      const got = await store.get(key('t', 's'));
      expect(contents(got?.messages)).toEqual(['hi', 'hello']);
      expect(got?.messages[1]?.tool_calls?.[0]?.arguments).toEqual({ a: 1 });
      expect(got?.attributes).toEqual({ status: 'open' });
    });

    it('deletes a session with everything it held', async () => {
      const store = await makeStore();
      await store.append(key('t', 's'), [user('hi')], { customer: 'c-1' });
      await store.append(key('t', 'other'), [user('stays')]);
      expect(await store.delete(key('t', 's'))).toBe(true);
      expect(await store.get(key('t', 's'))).toBeUndefined();
      expect(await store.delete(key('t', 's'))).toBe(false);
      expect(await store.count()).toBe(1);
      expect((await store.list('t', PAGE)).sessions.map((s) => s.session_id)).toEqual(['other']);

      const again = await store.append(key('t', 's'), [user('new')]);
      expect(contents(again.messages)).toEqual(['new']);
      expect(again.attributes).toEqual({});
    });

    it('never loses a message when many appends to one session run at once', async () => {
      const store = await makeStore({ maxMessages: 1000 });
      const n = 40;
      await Promise.all(
        Array.from({ length: n }, (_, i) => store.append(key('t', 's'), [user(`q${i}`), assistant(`a${i}`)])),
      );
      const got = contents((await store.get(key('t', 's')))?.messages);
      expect(got).toHaveLength(2 * n);
      // Each append stays together: every question is directly followed by its own answer.
      for (let i = 0; i < got.length; i += 2) expect(got[i + 1]).toBe(got[i]?.replace('q', 'a'));
      expect(new Set(got).size).toBe(2 * n);
      expect((await store.list('t', PAGE)).sessions[0]?.message_count).toBe(2 * n);
    });
  });

  describe(`${name} session store (contract): keys and tenants`, () => {
    it('never confuses tenant "a:b" + session "c" with tenant "a" + session "b:c"', async () => {
      const store = await makeStore();
      const pairs: Array<[string, string]> = [
        ['a:b', 'c'],
        ['a', 'b:c'],
        ['a%3Ab', 'c'],
        ['a/b', 'c'],
        ['a', 'b/c'],
      ];
      for (const [t, s] of pairs) await store.append(key(t, s), [user(`${t}|${s}`)]);
      for (const [t, s] of pairs) {
        expect(contents((await store.get(key(t, s)))?.messages)).toEqual([`${t}|${s}`]);
      }
      expect((await store.list('a', PAGE)).sessions.map((s) => s.session_id).sort()).toEqual(['b/c', 'b:c']);
      expect((await store.list('a:b', PAGE)).sessions.map((s) => s.session_id)).toEqual(['c']);
      expect(await store.delete(key('a:b', 'c'))).toBe(true);
      expect(await store.get(key('a%3Ab', 'c'))).toBeDefined();
      expect(await store.get(key('a', 'b:c'))).toBeDefined();
      expect(await store.count()).toBe(pairs.length - 1);
    });

    it('round-trips ids with any separator, escape, unicode, and up to 255 characters', async () => {
      const store = await makeStore();
      for (const id of AWKWARD_IDS) {
        await store.append(key(id, id), [user(`tenant and session ${id}`)]);
        await store.append(key('plain', id), [user(`session ${id}`)]);
      }
      for (const id of AWKWARD_IDS) {
        const got = await store.get(key(id, id));
        expect(got).toMatchObject({ tenantId: id, sessionId: id });
        expect(contents(got?.messages)).toEqual([`tenant and session ${id}`]);
        expect((await store.list(id, PAGE)).sessions.map((s) => s.session_id)).toEqual([id]);
      }
      const plain = await store.list('plain', PAGE);
      expect(plain.total).toBe(AWKWARD_IDS.length);
      expect(plain.sessions.map((s) => s.session_id).sort()).toEqual([...AWKWARD_IDS].sort());
      expect(await store.count()).toBe(2 * AWKWARD_IDS.length);
      for (const id of AWKWARD_IDS) expect(await store.delete(key(id, id))).toBe(true);
      expect(await store.count()).toBe(AWKWARD_IDS.length);
    });

    it('keeps tenants apart in get, list, delete and attributes for the same session id', async () => {
      const store = await makeStore();
      await store.append(key('acme', 'shared-id'), [user('acme secret')], { customer: 'acme-customer' });
      await store.append(key('acme', 'only-acme'), [user('x')]);

      expect(await store.get(key('globex', 'shared-id'))).toBeUndefined();
      expect(await store.list('globex', PAGE)).toEqual({ total: 0, sessions: [] });
      expect(await store.delete(key('globex', 'shared-id'))).toBe(false);
      expect(await store.setAttributes(key('globex', 'shared-id'), { customer: 'x' })).toBeUndefined();

      await store.append(key('globex', 'shared-id'), [user('globex text')]);
      const acme = await store.get(key('acme', 'shared-id'));
      expect(contents(acme?.messages)).toEqual(['acme secret']);
      expect(acme?.attributes).toEqual({ customer: 'acme-customer' });
      const globex = await store.get(key('globex', 'shared-id'));
      expect(contents(globex?.messages)).toEqual(['globex text']);
      expect(globex?.attributes).toEqual({});
      expect((await store.list('globex', PAGE)).total).toBe(1);
      expect((await store.list('acme', PAGE)).total).toBe(2);
    });
  });

  describe(`${name} session store (contract): listing`, () => {
    it('pages sessions most recent activity first, with the total and summaries', async () => {
      const store = await makeStore();
      for (const id of ['s1', 's2', 's3', 's4', 's5']) {
        await store.append(key('t', id), [user('q'), assistant('a')]);
        tick();
      }
      // Activity on s2 moves it to the front.
      await store.append(key('t', 's2'), [user('again')]);
      await store.append(key('other', 'x'), [user('other tenant')]);

      const first = await store.list('t', { limit: 2, offset: 0 });
      expect(first.total).toBe(5);
      expect(first.sessions.map((s) => s.session_id)).toEqual(['s2', 's5']);
      expect(first.sessions[0]).toMatchObject({ message_count: 3, attributes: {} });
      expect(first.sessions[1]?.message_count).toBe(2);
      const s2 = await store.get(key('t', 's2'));
      expect(first.sessions[0]?.created_at).toBe(s2?.createdAt);
      expect(first.sessions[0]?.last_activity).toBe(s2?.lastActivity);

      expect((await store.list('t', { limit: 2, offset: 2 })).sessions.map((s) => s.session_id)).toEqual([
        's4',
        's3',
      ]);
      expect((await store.list('t', { limit: 2, offset: 4 })).sessions.map((s) => s.session_id)).toEqual([
        's1',
      ]);
      expect(await store.list('t', { limit: 2, offset: 10 })).toEqual({ total: 5, sessions: [] });
      expect(await store.list('nobody', { limit: 2, offset: 0 })).toEqual({ total: 0, sessions: [] });
    });
  });

  describe(`${name} session store (contract): idle expiry`, () => {
    if (engine.clock === 'manual') {
      it('hides a session idle for the TTL everywhere, while activity keeps another alive', async () => {
        const store = await makeStore({ ttlMs: 10 * MINUTE });
        await store.append(key('t', 'idle'), [user('hi')], { customer: 'c' });
        await store.append(key('t', 'busy'), [user('hi')]);
        tick(10 * MINUTE - 1);
        expect(await store.get(key('t', 'idle'))).toBeDefined();
        await store.append(key('t', 'busy'), [assistant('still here')]);
        tick(1);

        expect(await store.get(key('t', 'idle'))).toBeUndefined();
        expect(await store.setAttributes(key('t', 'idle'), { customer: 'd' })).toBeUndefined();
        expect(await store.delete(key('t', 'idle'))).toBe(false);
        const page = await store.list('t', PAGE);
        expect(page.total).toBe(1);
        expect(page.sessions.map((s) => s.session_id)).toEqual(['busy']);
        expect(await store.count()).toBe(1);
        expect(contents((await store.get(key('t', 'busy')))?.messages)).toEqual(['hi', 'still here']);

        // Writing to an expired session starts a new conversation.
        const fresh = await store.append(key('t', 'idle'), [user('new conversation')]);
        expect(contents(fresh.messages)).toEqual(['new conversation']);
        expect(fresh.createdAt).toBe(new Date(clock).toISOString());
        expect(fresh.attributes).toEqual({});
      });
    } else {
      it('expires a session idle for the TTL: gone from get, list, count, and a new start', async () => {
        const store = await makeStore({ ttlMs: 1000 });
        const before = await store.append(key('t', 'idle'), [user('hi')], { customer: 'c' });
        await engine.awaitExpiry?.(store, key('t', 'idle'));

        expect(await store.get(key('t', 'idle'))).toBeUndefined();
        expect(await store.list('t', PAGE)).toEqual({ total: 0, sessions: [] });
        expect(await store.count()).toBe(0);
        expect(await store.setAttributes(key('t', 'idle'), { customer: 'd' })).toBeUndefined();
        const fresh = await store.append(key('t', 'idle'), [user('new conversation')]);
        expect(contents(fresh.messages)).toEqual(['new conversation']);
        expect(fresh.attributes).toEqual({});
        expect(Date.parse(fresh.createdAt)).toBeGreaterThan(Date.parse(before.createdAt));
      });
    }
  });

  describe(`${name} session store (contract): caps`, () => {
    it('evicts the least recently active session when a new one would exceed MAX_SESSIONS', async () => {
      const store = await makeStore({ maxSessions: 3 });
      await store.append(key('t1', 'a'), [user('a')]);
      tick();
      await store.append(key('t2', 'b'), [user('b')]);
      tick();
      await store.append(key('t1', 'c'), [user('c')]);
      tick();
      await store.append(key('t1', 'a'), [user('a again')]);
      tick();
      await store.append(key('t3', 'd'), [user('d')]);

      expect(await store.get(key('t2', 'b'))).toBeUndefined();
      expect(await store.count()).toBe(3);
      expect((await store.list('t1', PAGE)).sessions.map((s) => s.session_id)).toEqual(['a', 'c']);
      expect(await store.list('t2', PAGE)).toEqual({ total: 0, sessions: [] });
      // Appending to an existing session never evicts.
      await store.append(key('t1', 'c'), [assistant('answer')]);
      expect(await store.count()).toBe(3);
    });

    it('MAX_SESSIONS_PER_TENANT: a busy tenant evicts its own oldest, never another tenant’s', async () => {
      const store = await makeStore({ maxSessions: 10, maxSessionsPerTenant: 2 });
      await store.append(key('quiet', 'q1'), [user('oldest of all')]);
      tick();
      for (const id of ['n1', 'n2', 'n3', 'n4']) {
        await store.append(key('noisy', id), [user(id)]);
        tick();
      }
      const noisy = await store.list('noisy', PAGE);
      expect(noisy.total).toBe(2);
      expect(noisy.sessions.map((s) => s.session_id)).toEqual(['n4', 'n3']);
      expect(contents((await store.get(key('quiet', 'q1')))?.messages)).toEqual(['oldest of all']);
      expect(await store.count()).toBe(3);
    });

    it('holds the caps when many new sessions arrive at once', async () => {
      const store = await makeStore({ maxSessions: 5, maxSessionsPerTenant: 3 });
      await Promise.all(
        Array.from({ length: 12 }, (_, i) => store.append(key(`t${i % 2}`, `s${i}`), [user(`m${i}`)])),
      );
      expect(await store.count()).toBe(5);
      const t0 = await store.list('t0', PAGE);
      const t1 = await store.list('t1', PAGE);
      expect(t0.total).toBeLessThanOrEqual(3);
      expect(t1.total).toBeLessThanOrEqual(3);
      expect(t0.total + t1.total).toBe(5);
    });

    it('SESSION_MAX_MESSAGES keeps the newest messages and never opens with an answer', async () => {
      const store = await makeStore({ maxMessages: 3 });
      await store.append(key('t', 's'), [user('u1'), assistant('a1')]);
      const trimmed = await store.append(key('t', 's'), [user('u2'), assistant('a2')]);
      // Dropping only u1 would leave a1 answering a question that is gone.
      expect(contents(trimmed.messages)).toEqual(['u2', 'a2']);
      expect(contents((await store.get(key('t', 's')))?.messages)).toEqual(['u2', 'a2']);

      const big = await store.append(key('t', 'big'), [
        user('u1'),
        assistant('a1'),
        user('u2'),
        assistant('a2'),
        user('u3'),
        assistant('a3'),
        user('u4'),
      ]);
      expect(contents(big.messages)).toEqual(['u3', 'a3', 'u4']);
      expect((await store.list('t', PAGE)).sessions.find((s) => s.session_id === 'big')?.message_count).toBe(
        3,
      );

      // With no question left in the window at all, the newest messages are kept rather than none.
      const answers = await store.append(key('t', 'answers'), [
        assistant('x1'),
        assistant('x2'),
        assistant('x3'),
        assistant('x4'),
      ]);
      expect(contents(answers.messages)).toEqual(['x2', 'x3', 'x4']);
    });
  });

  describe(`${name} session store (contract): attributes`, () => {
    it('sets attributes with an append, merges patches, and removes names set to null', async () => {
      const store = await makeStore();
      const created = await store.append(key('t', 's'), [user('hi')], { customer_email: 'a@example.com' });
      expect(created.attributes).toEqual({ customer_email: 'a@example.com' });

      tick();
      const patched = await store.setAttributes(key('t', 's'), { status: 'handoff', customer_email: null });
      expect(patched?.attributes).toEqual({ status: 'handoff' });
      expect(contents(patched?.messages)).toEqual(['hi']);
      expect((await store.get(key('t', 's')))?.attributes).toEqual({ status: 'handoff' });
      expect((await store.list('t', PAGE)).sessions[0]?.attributes).toEqual({ status: 'handoff' });

      const next = await store.append(key('t', 's'), [assistant('ok')], { status: 'open', note: 'n' });
      expect(next.attributes).toEqual({ status: 'open', note: 'n' });
      const plain = await store.append(key('t', 's'), [user('more')]);
      expect(plain.attributes).toEqual({ status: 'open', note: 'n' });
    });

    it('keeps operator messages, and an append of no messages creates a labelled session (hand-off)', async () => {
      const store = await makeStore();
      const created = await store.append(key('t', 'h'), [], { status: 'handoff' });
      expect(created.attributes).toEqual({ status: 'handoff' });
      expect(created.messages).toEqual([]);
      tick();
      const operator: StoredMessage = {
        role: 'operator',
        content: 'Sam here',
        timestamp: new Date(START).toISOString(),
      };
      await store.append(key('t', 'h'), [user('hello?'), operator]);
      const got = await store.get(key('t', 'h'));
      expect(got?.messages.map((m) => [m.role, m.content])).toEqual([
        ['user', 'hello?'],
        ['operator', 'Sam here'],
      ]);
      expect(got?.attributes).toEqual({ status: 'handoff' });
      expect((await store.list('t', PAGE)).sessions[0]).toMatchObject({ session_id: 'h', message_count: 2 });
    });

    it('creates nothing for a missing session, and labelling is not activity', async () => {
      const store = await makeStore();
      expect(await store.setAttributes(key('t', 'missing'), { status: 'handoff' })).toBeUndefined();
      expect(await store.get(key('t', 'missing'))).toBeUndefined();
      expect(await store.count()).toBe(0);

      await store.append(key('t', 'older'), [user('1')]);
      tick();
      await store.append(key('t', 'newer'), [user('2')]);
      tick();
      const before = await store.get(key('t', 'older'));
      const labelled = await store.setAttributes(key('t', 'older'), { status: 'handoff' });
      expect(labelled?.lastActivity).toBe(before?.lastActivity);
      expect((await store.list('t', PAGE)).sessions.map((s) => s.session_id)).toEqual(['newer', 'older']);
    });

    it('rejects a patch beyond the bounds and changes nothing', async () => {
      const store = await makeStore();
      await store.append(key('t', 's'), [user('hi')], { status: 'open' });
      const tooLong = { status: 'x'.repeat(MAX_ATTRIBUTE_VALUE_LENGTH + 1) };
      await expect(store.setAttributes(key('t', 's'), tooLong)).rejects.toBeInstanceOf(
        SessionAttributesError,
      );
      await expect(store.append(key('t', 's'), [user('lost?')], tooLong)).rejects.toBeInstanceOf(
        SessionAttributesError,
      );
      await expect(store.setAttributes(key('t', 's'), { '': 'empty name' })).rejects.toBeInstanceOf(
        SessionAttributesError,
      );
      const many = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, 'v']));
      // 32 new names plus the existing one is one too many.
      await expect(store.setAttributes(key('t', 's'), many)).rejects.toBeInstanceOf(SessionAttributesError);
      const got = await store.get(key('t', 's'));
      expect(contents(got?.messages)).toEqual(['hi']);
      expect(got?.attributes).toEqual({ status: 'open' });
      // A new session refused for its attributes is not created either.
      await expect(store.append(key('t', 'new'), [user('x')], tooLong)).rejects.toBeInstanceOf(
        SessionAttributesError,
      );
      expect(await store.get(key('t', 'new'))).toBeUndefined();
    });
  });
}
