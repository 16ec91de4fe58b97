import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followTurn, type TurnKey, type TurnRecord, type TurnReplayStore } from '../../src/turns/replay.js';

export interface ReplayHarness {
  /** A store with these limits; `reader` is a second handle on the same data (another instance). */
  create(limits: { ttlSeconds: number; maxEventsPerTurn: number }): Promise<{
    writer: TurnReplayStore;
    reader: TurnReplayStore;
  }>;
  /** Makes finished turns older than their TTL (advances a clock or waits it out). */
  expire(seconds: number): Promise<void>;
  close?(): Promise<void>;
}

const keyOf = (tenantId: string, sessionId: string): TurnKey => ({
  tenantId,
  sessionId,
  turnId: randomUUID(),
});

function recordOf(key: TurnKey): TurnRecord {
  return {
    ...key,
    status: 'running',
    requestId: 'req-1',
    startedAt: new Date().toISOString(),
    toolCalls: [],
  };
}

const token = (content: string) => ({ type: 'token', content, session_id: 's' });

/** One suite for every TurnReplayStore: what a resuming client and a status request can rely on. */
export function replayStoreContract(name: string, harness: ReplayHarness) {
  describe(`TurnReplayStore contract: ${name}`, () => {
    let writer: TurnReplayStore;
    let reader: TurnReplayStore;

    beforeAll(async () => {
      ({ writer, reader } = await harness.create({ ttlSeconds: 2, maxEventsPerTurn: 50 }));
    });
    afterAll(async () => {
      await writer.close();
      await reader.close();
      await harness.close?.();
    });

    it('replays the events after a sequence number in order and says when the last one was read', async () => {
      const key = keyOf('acme', 'replay-1');
      await writer.begin(recordOf(key));
      for (let seq = 1; seq <= 4; seq += 1) await writer.append(key, { seq, data: token(`t${seq}`) }, false);
      await writer.append(key, { seq: 5, data: { type: 'done', session_id: 's' } }, true);
      await writer.finish(key, { status: 'completed', message: 't1t2t3t4', toolCalls: [] });

      const all = await reader.read(key, 0, { waitMs: 0 });
      expect(all.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(all.ended).toBe(true);
      const rest = await reader.read(key, 3, { waitMs: 0 });
      expect(rest.events.map((e) => e.data)).toEqual([token('t4'), { type: 'done', session_id: 's' }]);
      expect(rest.ended).toBe(true);
      expect(await reader.read(key, 5, { waitMs: 0 })).toEqual({ events: [], ended: true });
      expect(await reader.get(key)).toMatchObject({ status: 'completed', message: 't1t2t3t4' });
    });

    it('a turn paused for approval ends its readers, and when it runs again its new events follow the old ones', async () => {
      const key = keyOf('acme', 'paused-1');
      await writer.begin(recordOf(key));
      await writer.append(key, { seq: 1, data: { type: 'approval_required', call_id: 'c1' } }, false);
      await writer.append(key, { seq: 2, data: { type: 'awaiting_approval' } }, false);
      await writer.finish(key, { status: 'awaiting_approval', toolCalls: [] });
      expect(await reader.read(key, 0, { waitMs: 0 })).toMatchObject({ ended: true });
      expect(await reader.get(key)).toMatchObject({ status: 'awaiting_approval' });

      await writer.reopen(recordOf(key));
      expect(await reader.get(key)).toMatchObject({ status: 'running' });
      const following = (async () => {
        const seen: number[] = [];
        for await (const event of followTurn(reader, key, 2, { maxFollowMs: 10_000, waitMs: 200 })) {
          seen.push(event.seq);
        }
        return seen;
      })();
      await writer.append(key, { seq: 3, data: token('ok') }, false);
      await writer.append(key, { seq: 4, data: { type: 'done' } }, true);
      await writer.finish(key, { status: 'completed', message: 'ok', toolCalls: [] });
      expect(await following).toEqual([3, 4]);
      expect((await reader.read(key, 0, { waitMs: 0 })).events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    });

    it('a follower gets the live events exactly once, in order, until the last one', async () => {
      const key = keyOf('acme', 'live-1');
      await writer.begin(recordOf(key));
      await writer.append(key, { seq: 1, data: token('a') }, false);
      const seen: number[] = [];
      const following = (async () => {
        for await (const event of followTurn(reader, key, 0, { maxFollowMs: 20_000, waitMs: 2_000 })) {
          seen.push(event.seq);
          // Each event the follower sees lets the writer send the next one.
          if (event.seq < 6) {
            await writer.append(key, { seq: event.seq + 1, data: token(String(event.seq + 1)) }, false);
          } else if (event.seq === 6) {
            await writer.append(key, { seq: 7, data: { type: 'done' } }, true);
            await writer.finish(key, { status: 'completed', toolCalls: [] });
          }
        }
      })();
      await following;
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });

    it('keeps tenants, sessions and turns apart, whatever their ids contain', async () => {
      const a = { tenantId: 'a:b', sessionId: 'c', turnId: 't' };
      const b = { tenantId: 'a', sessionId: 'b:c', turnId: 't' };
      await writer.begin(recordOf(a));
      await writer.append(a, { seq: 1, data: token('only a') }, false);
      expect(await reader.get(b)).toBeUndefined();
      expect(await reader.read(b, 0, { waitMs: 0 })).toEqual({ events: [], ended: true });
      expect((await reader.get(a))?.status).toBe('running');
    });

    it('a running turn without new events makes a reader wait only as long as asked', async () => {
      const key = keyOf('acme', 'quiet');
      await writer.begin(recordOf(key));
      const result = await reader.read(key, 0, { waitMs: 50 });
      expect(result).toEqual({ events: [], ended: false });
      const stopped = new AbortController();
      const pending = reader.read(key, 0, { waitMs: 60_000, signal: stopped.signal });
      stopped.abort();
      expect(await pending).toEqual({ events: [], ended: false });
    });

    it('bounds the events kept per turn, keeping the newest', async () => {
      const key = keyOf('acme', 'long');
      await writer.begin(recordOf(key));
      for (let seq = 1; seq <= 400; seq += 1) await writer.append(key, { seq, data: token('x') }, false);
      await writer.append(key, { seq: 401, data: { type: 'done' } }, true);
      const events: number[] = [];
      for await (const event of followTurn(reader, key, 0, { maxFollowMs: 10_000 })) events.push(event.seq);
      // Redis trims approximately (MAXLEN ~), by whole nodes: well under the 401 sent, never the newest.
      expect(events.length).toBeLessThan(401);
      expect(events.at(-1)).toBe(401);
      expect(events).toEqual([...events].sort((x, y) => x - y));
    });

    it('forgets a finished turn TURN_REPLAY_TTL_SECONDS after its end', async () => {
      const key = keyOf('acme', 'expiring');
      await writer.begin(recordOf(key));
      await writer.append(key, { seq: 1, data: { type: 'done' } }, true);
      await writer.finish(key, { status: 'completed', toolCalls: [] });
      expect(await reader.get(key)).toBeDefined();
      await harness.expire(2);
      expect(await reader.get(key)).toBeUndefined();
      expect(await reader.read(key, 0, { waitMs: 0 })).toEqual({ events: [], ended: true });
    });
  });
}
