import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalStore, PausedTurnState } from '../../src/turns/approvals.js';
import type { TurnKey } from '../../src/turns/replay.js';

export interface ApprovalHarness {
  /** Two handles on the same approvals (two instances, or two processes on one file). */
  create(): Promise<{ first: ApprovalStore; second: ApprovalStore }>;
  /** The stores' clock, epoch milliseconds; `advance` moves it (due approvals are read against it). */
  now(): number;
  advance(ms: number): void;
  /** Lets `seconds` of real retention pass (Redis expires keys on its own clock). */
  expire(seconds: number): Promise<void>;
  close?(): Promise<void>;
}

const stateOf = (message: string, seq = 3): PausedTurnState => ({
  requestId: 'req-1',
  startedAt: '2026-01-01T12:00:00.000Z',
  message,
  role: 'client',
  seq,
  agent: {
    messages: [
      { role: 'user', content: message },
      {
        role: 'assistant',
        content: null,
        toolCalls: [{ id: 'c1', name: 'cancel_order', arguments: '{"order_id":42}' }],
      },
    ],
    answer: '',
    toolCalls: [],
    steps: 1,
    calls: [{ id: 'c1', name: 'cancel_order', arguments: '{"order_id":42}' }],
    results: {},
    pending: [{ id: 'c1', name: 'cancel_order', arguments: { order_id: 42 } }],
  },
});

const call = (callId: string, orderId = 42) => ({
  callId,
  name: 'cancel_order',
  arguments: { order_id: orderId },
});
const key = (tenantId: string, sessionId: string, turnId: string): TurnKey => ({
  tenantId,
  sessionId,
  turnId,
});

/** One suite for every ApprovalStore. */
export function approvalStoreContract(name: string, harness: ApprovalHarness) {
  describe(`ApprovalStore contract: ${name}`, () => {
    let first: ApprovalStore;
    let second: ApprovalStore;
    const hour = () => harness.now() + 3_600_000;
    beforeAll(async () => {
      ({ first, second } = await harness.create());
    });
    afterAll(async () => {
      await first.close();
      await second.close();
      await harness.close?.();
    });

    it('keeps a paused turn with its state and pending calls, readable from the other handle', async () => {
      const k = key('acme', 's-1', 't-1');
      const expiresAt = hour();
      await first.pause(k, stateOf('Cancel order 42'), [call('c1'), call('c2', 43)], expiresAt);
      const paused = await second.get(k);
      expect(paused?.state).toEqual(stateOf('Cancel order 42'));
      expect(paused?.approvals.map((a) => [a.callId, a.status, a.expiresAt])).toEqual([
        ['c1', 'pending', expiresAt],
        ['c2', 'pending', expiresAt],
      ]);
      expect(paused?.approvals[1]).toMatchObject({
        tenantId: 'acme',
        sessionId: 's-1',
        turnId: 't-1',
        name: 'cancel_order',
        arguments: { order_id: 43 },
      });
      expect(await second.get(key('acme', 's-1', 'other'))).toBeUndefined();
    });

    it('of concurrent decisions on one call exactly one wins; only the last call settled sees remaining 0', async () => {
      const k = key('acme', 's-race', 't-race');
      await first.pause(k, stateOf('two calls'), [call('a'), call('b')], hour());
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? first : second).decide(k, 'a', {
            status: i % 3 ? 'approved' : 'declined',
            decidedBy: `op-${i}`,
          }),
        ),
      );
      const winners = results.filter((r) => r.outcome === 'decided');
      expect(winners).toHaveLength(1);
      expect(winners[0]).toMatchObject({ remaining: 1 });
      const losers = results.filter((r) => r.outcome === 'not_pending');
      expect(losers).toHaveLength(7);
      // The losers are told what the winner decided.
      const winner = winners[0]!.outcome === 'decided' ? winners[0]!.approval : undefined;
      for (const loser of losers) {
        if (loser.outcome === 'not_pending') expect(loser.approval.decidedBy).toBe(winner?.decidedBy);
      }
      const last = await second.decide(k, 'b', { status: 'declined', reason: 'not today', decidedBy: 'op' });
      expect(last).toMatchObject({
        outcome: 'decided',
        remaining: 0,
        approval: { callId: 'b', status: 'declined', reason: 'not today', decidedBy: 'op' },
      });
      expect((await first.get(k))?.approvals.map((a) => a.status)).toEqual([winner?.status, 'declined']);
    });

    it('an unknown call or turn is not_found, and ids never leak between tenants', async () => {
      await first.pause(key('a:b', 'c', 't'), stateOf('tenant a:b'), [call('x')], hour());
      expect(await second.decide(key('a', 'b:c', 't'), 'x', { status: 'approved' })).toEqual({
        outcome: 'not_found',
      });
      expect(await second.decide(key('a:b', 'c', 't'), 'nope', { status: 'approved' })).toEqual({
        outcome: 'not_found',
      });
      expect(await second.get(key('a', 'b:c', 't'))).toBeUndefined();
      expect((await second.listPending('a', 10)).map((a) => a.tenantId)).toEqual([]);
      expect((await second.listPending('a:b', 10)).map((a) => a.callId)).toEqual(['x']);
    });

    it('lists a tenant pending approvals soonest expiry first, bounded, without the decided ones', async () => {
      const base = harness.now();
      await first.pause(key('list', 's1', 't-late'), stateOf('late'), [call('late')], base + 90_000);
      await first.pause(
        key('list', 's2', 't-soon'),
        stateOf('soon'),
        [call('soon'), call('gone')],
        base + 30_000,
      );
      await first.decide(key('list', 's2', 't-soon'), 'gone', { status: 'approved' });
      expect((await second.listPending('list', 10)).map((a) => a.callId)).toEqual(['soon', 'late']);
      expect((await second.listPending('list', 1)).map((a) => a.callId)).toEqual(['soon']);
    });

    it('reports the pending approvals past their expiry over all tenants, a bounded batch at a time', async () => {
      const base = harness.now();
      await first.pause(key('due-1', 's', 't'), stateOf('due one'), [call('d1')], base + 1_000);
      await first.pause(key('due-2', 's', 't'), stateOf('due two'), [call('d2')], base + 2_000);
      await first.pause(key('due-3', 's', 't'), stateOf('not yet'), [call('d3')], base + 3_600_000 * 5);
      const before = (await second.due(100)).map((a) => a.callId);
      expect(before).not.toContain('d1');
      harness.advance(5_000);
      const due = (await second.due(100)).map((a) => a.callId);
      expect(due).toEqual(expect.arrayContaining(['d1', 'd2']));
      expect(due).not.toContain('d3');
      expect(await second.due(1)).toHaveLength(1);
      // Declined as expired, it is no longer due.
      await first.decide(key('due-1', 's', 't'), 'd1', {
        status: 'declined',
        expired: true,
        decidedBy: 'expired',
      });
      expect((await second.due(100)).map((a) => a.callId)).not.toContain('d1');
      expect((await second.get(key('due-1', 's', 't')))?.approvals[0]).toMatchObject({
        status: 'declined',
        expired: true,
      });
    });

    it('a turn that pauses again keeps its earlier decisions and waits on its new calls', async () => {
      const k = key('acme', 's-again', 't-again');
      await first.pause(k, stateOf('first pause', 3), [call('p1')], hour());
      await first.decide(k, 'p1', { status: 'approved' });
      await second.pause(k, stateOf('second pause', 9), [call('p2', 7)], hour());
      const paused = await first.get(k);
      expect(paused?.state?.seq).toBe(9);
      expect(paused?.approvals.map((a) => [a.callId, a.status])).toEqual([
        ['p1', 'approved'],
        ['p2', 'pending'],
      ]);
      expect(await first.decide(k, 'p1', { status: 'declined' })).toMatchObject({ outcome: 'not_pending' });
      expect(await first.decide(k, 'p2', { status: 'approved' })).toMatchObject({
        outcome: 'decided',
        remaining: 0,
      });
    });

    it('a finished turn keeps its decisions for a while (a second decision is told), then forgets them', async () => {
      const k = key('acme', 's-done', 't-done');
      await first.pause(k, stateOf('done soon'), [call('f1'), call('f2')], hour());
      await first.decide(k, 'f1', { status: 'approved', decidedBy: 'op' });
      await first.finish(k, 1);
      const finished = await second.get(k);
      expect(finished?.state).toBeUndefined();
      expect(finished?.approvals[0]?.status).toBe('approved');
      expect(await second.decide(k, 'f1', { status: 'approved' })).toMatchObject({
        outcome: 'not_pending',
        approval: { status: 'approved', decidedBy: 'op' },
      });
      // The call left pending when the turn ended waits for nothing any more.
      expect(await second.decide(k, 'f2', { status: 'approved' })).toMatchObject({ outcome: 'not_pending' });
      expect((await second.listPending('acme', 100)).map((a) => a.callId)).not.toContain('f2');
      harness.advance(2_000);
      await harness.expire(1);
      expect(await second.get(k)).toBeUndefined();
    });

    it('the last decision claims the resume; a claim gone stale is taken over by exactly one, until the turn finishes', async () => {
      const k = key('claims', 's-claim', 't-claim');
      const mine = (keys: TurnKey[]) => keys.filter((x) => x.tenantId === 'claims');
      await first.pause(k, stateOf('claim me'), [call('r1'), call('r2')], hour());
      await first.decide(k, 'r1', { status: 'approved', resumer: 'instance-a' });
      // Still waiting on a call: nothing to resume, whatever the clock says.
      expect((await second.get(k))?.resuming).toBeUndefined();
      expect(mine(await second.stalled(harness.now() + 3_600_000, 100))).toEqual([]);
      expect(await second.reclaim(k, 'instance-b', harness.now() + 3_600_000)).toBe(false);
      const decidedAt = harness.now();
      await first.decide(k, 'r2', { status: 'declined', resumer: 'instance-a' });
      expect((await second.get(k))?.resuming).toEqual({ by: 'instance-a', at: decidedAt });
      // Fresh: the decider is resuming it.
      expect(mine(await second.stalled(decidedAt - 1, 100))).toEqual([]);
      expect(await second.reclaim(k, 'instance-b', decidedAt - 1)).toBe(false);
      // Stale (its decider died): listed, and of two sweeps exactly one takes it over.
      harness.advance(10_000);
      const before = harness.now() - 5_000;
      expect(mine(await second.stalled(before, 100))).toEqual([k]);
      const taken = await Promise.all([
        first.reclaim(k, 'instance-b', before),
        second.reclaim(k, 'instance-c', before),
      ]);
      expect(taken.filter(Boolean)).toHaveLength(1);
      expect((await first.get(k))?.resuming).toEqual({
        by: taken[0] ? 'instance-b' : 'instance-c',
        at: harness.now(),
      });
      expect(mine(await second.stalled(before, 100))).toEqual([]);
      // Once the resumed turn ended, nothing is left to resume.
      harness.advance(10_000);
      expect(mine(await second.stalled(harness.now(), 100))).toEqual([k]);
      await second.finish(k, 60);
      expect(mine(await first.stalled(harness.now(), 100))).toEqual([]);
      expect(await first.reclaim(k, 'instance-b', harness.now())).toBe(false);
      expect((await first.get(k))?.resuming).toBeUndefined();
    });

    it('a turn that pauses again drops its claim until its new calls are decided', async () => {
      const k = key('claims-again', 's', 't');
      await first.pause(k, stateOf('first'), [call('q1')], hour());
      await first.decide(k, 'q1', { status: 'approved', resumer: 'instance-a' });
      await second.pause(k, stateOf('second', 9), [call('q2')], hour());
      harness.advance(10_000);
      const later = harness.now();
      expect((await first.get(k))?.resuming).toBeUndefined();
      expect((await first.stalled(later, 100)).filter((x) => x.tenantId === 'claims-again')).toEqual([]);
      await first.decide(k, 'q2', { status: 'approved', resumer: 'instance-a' });
      expect((await first.get(k))?.resuming).toMatchObject({ by: 'instance-a' });
    });

    it('lists the turns of a session with calls still waiting for a decision, and only those', async () => {
      const k = key('sess', 's-wait', 't-1');
      const pausedAt = harness.now();
      await first.pause(k, stateOf('wait'), [call('w1'), call('w2')], hour());
      await first.pause(key('sess', 's-other', 't-2'), stateOf('other'), [call('w3')], hour());
      expect(await second.waitingIn('sess', 's-wait')).toEqual([{ turnId: 't-1', pausedAt }]);
      await first.decide(k, 'w1', { status: 'approved' });
      expect((await second.waitingIn('sess', 's-wait')).map((t) => t.turnId)).toEqual(['t-1']);
      // All decided: it goes on (or the sweep resumes it), it no longer waits for anyone.
      await first.decide(k, 'w2', { status: 'approved' });
      expect(await second.waitingIn('sess', 's-wait')).toEqual([]);
      await first.finish(key('sess', 's-other', 't-2'), 60);
      expect(await second.waitingIn('sess', 's-other')).toEqual([]);
      expect(await second.waitingIn('sess:s', 'other')).toEqual([]);
    });
  });
}
