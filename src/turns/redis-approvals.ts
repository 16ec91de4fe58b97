import type { Redis } from 'ioredis';
import type { Keyspace } from '../redis/keys.js';
import {
  type Approval,
  type ApprovalStore,
  type DecideResult,
  type Decision,
  decided,
  newApprovals,
  type PausedTurn,
  type PausedTurnState,
  type PendingCall,
  type ResumeClaim,
  type WaitingTurn,
} from './approvals.js';
import type { TurnKey } from './replay.js';

export interface RedisApprovalOptions {
  client: Redis;
  keys: Keyspace;
  now?: () => number;
}

/** A paused turn is kept at least this long past its approvals' expiry, for a sweep that runs late. */
const GRACE_SECONDS = 86_400;

/**
 * Compare-and-set of one approval: it changes only if it is still what the caller read (pending) and
 * the turn still waits, so of two decisions exactly one wins. Returns the pending count after it.
 */
const DECIDE = `
if redis.call('HEXISTS', KEYS[1], 'state') == 0 then return -1 end
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[4])
redis.call('ZREM', KEYS[3], ARGV[5])
local left = redis.call('HINCRBY', KEYS[1], 'pending', -1)
if left == 0 then
  redis.call('HSET', KEYS[1], 'resuming', ARGV[6])
  redis.call('ZADD', KEYS[4], ARGV[7], ARGV[8])
end
return left
`;

/**
 * Takes a stale resume claim: only while the turn waits, has nothing pending and its claim is not
 * newer than ARGV[1]. Returns 1 when taken; a turn that no longer waits leaves the index.
 */
const RECLAIM = `
if redis.call('HEXISTS', KEYS[1], 'state') == 0 then
  redis.call('ZREM', KEYS[2], ARGV[4])
  return 0
end
if tonumber(redis.call('HGET', KEYS[1], 'pending') or '0') > 0 then return 0 end
local score = redis.call('ZSCORE', KEYS[2], ARGV[4])
if score and tonumber(score) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'resuming', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1
`;

/**
 * Shared by every instance: one hash per paused turn (its state, each approval as JSON, the pending
 * count), a sorted set per tenant for the list and one over all tenants for the expiry sweep, both
 * scored by expiry.
 */
export function createRedisApprovalStore(options: RedisApprovalOptions) {
  const { client, keys } = options;
  const now = options.now ?? Date.now;
  const turnKey = (key: TurnKey) => keys.key('approval', key.tenantId, key.sessionId, key.turnId);
  const tenantKey = (tenantId: string) => keys.key('approvals-pending', tenantId);
  const dueKey = keys.key('approvals-due');
  /** Turns whose calls are all decided, scored by when their resume was claimed. */
  const resumingKey = keys.key('approvals-resuming');
  /** The session's waiting turns: turn id → when it paused last (epoch milliseconds). */
  const sessionKey = (tenantId: string, sessionId: string) =>
    keys.key('approvals-session', tenantId, sessionId);
  const turnMember = (key: TurnKey) => JSON.stringify([key.tenantId, key.sessionId, key.turnId]);
  const field = (callId: string) => `c:${callId}`;
  const tenantMember = (a: Pick<Approval, 'sessionId' | 'turnId' | 'callId'>) =>
    JSON.stringify([a.sessionId, a.turnId, a.callId]);
  const dueMember = (a: Pick<Approval, 'tenantId' | 'sessionId' | 'turnId' | 'callId'>) =>
    JSON.stringify([a.tenantId, a.sessionId, a.turnId, a.callId]);

  async function get(key: TurnKey): Promise<PausedTurn | undefined> {
    const hash = await client.hgetall(turnKey(key));
    if (!hash.calls) return undefined;
    const order = JSON.parse(hash.calls) as string[];
    const approvals = order.flatMap((callId) => {
      const raw = hash[field(callId)];
      return raw ? [JSON.parse(raw) as Approval] : [];
    });
    return {
      ...(hash.state ? { state: JSON.parse(hash.state) as PausedTurnState } : {}),
      approvals,
      ...(hash.resuming ? { resuming: JSON.parse(hash.resuming) as ResumeClaim } : {}),
    };
  }

  /**
   * The approvals that sorted-set members name and that still wait on a waiting turn; members of
   * decided approvals or of turns gone are removed from `zset` (`memberOf` spells them there).
   */
  async function resolve(
    members: Array<[string, string, string, string]>,
    zset: string,
    memberOf: (ids: Pick<Approval, 'tenantId' | 'sessionId' | 'turnId' | 'callId'>) => string,
  ): Promise<Approval[]> {
    if (members.length === 0) return [];
    const pipeline = client.pipeline();
    for (const [t, s, turn, callId] of members) {
      pipeline.hmget(keys.key('approval', t, s, turn), field(callId), 'state');
    }
    const replies = (await pipeline.exec()) ?? [];
    const found: Approval[] = [];
    const cleanup = client.multi();
    let stale = 0;
    replies.forEach(([err, value], i) => {
      const [raw, state] = (err ? [null, null] : value) as [string | null, string | null];
      const approval = raw ? (JSON.parse(raw) as Approval) : undefined;
      if (approval && state && approval.status === 'pending') {
        found.push(approval);
        return;
      }
      const [tenantId, sessionId, turnId, callId] = members[i]!;
      cleanup.zrem(zset, memberOf({ tenantId, sessionId, turnId, callId }));
      stale += 1;
    });
    if (stale > 0) await cleanup.exec();
    else cleanup.discard();
    return found;
  }

  const store = {
    async pause(key: TurnKey, state: PausedTurnState, calls: PendingCall[], expiresAt: number) {
      const hashKey = turnKey(key);
      const existing = await client.hget(hashKey, 'calls');
      const order = existing ? (JSON.parse(existing) as string[]) : [];
      const fresh = newApprovals(key, calls, now(), expiresAt).filter((a) => !order.includes(a.callId));
      const tx = client.multi();
      // Paused again: nobody resumes it until its new calls are decided.
      tx.hdel(hashKey, 'resuming');
      tx.zrem(resumingKey, turnMember(key));
      tx.hset(
        hashKey,
        'state',
        JSON.stringify(state),
        'calls',
        JSON.stringify([...order, ...fresh.map((a) => a.callId)]),
      );
      for (const approval of fresh) {
        tx.hset(hashKey, field(approval.callId), JSON.stringify(approval));
        tx.zadd(tenantKey(key.tenantId), expiresAt, tenantMember(approval));
        tx.zadd(dueKey, expiresAt, dueMember(approval));
      }
      tx.hincrby(hashKey, 'pending', fresh.length);
      tx.pexpireat(hashKey, expiresAt + GRACE_SECONDS * 1000);
      tx.hset(sessionKey(key.tenantId, key.sessionId), key.turnId, String(now()));
      tx.pexpireat(sessionKey(key.tenantId, key.sessionId), expiresAt + GRACE_SECONDS * 1000);
      await tx.exec();
    },

    get,

    async decide(key: TurnKey, callId: string, decision: Decision): Promise<DecideResult> {
      const hashKey = turnKey(key);
      const [raw, state] = await client.hmget(hashKey, field(callId), 'state');
      if (!raw) return { outcome: 'not_found' };
      const approval = JSON.parse(raw) as Approval;
      if (approval.status !== 'pending' || !state) return { outcome: 'not_pending', approval };
      const at = now();
      const next = decided(approval, decision, at);
      const claim: ResumeClaim = { by: decision.resumer ?? '', at };
      const remaining = (await client.eval(
        DECIDE,
        4,
        hashKey,
        tenantKey(key.tenantId),
        dueKey,
        resumingKey,
        field(callId),
        raw,
        JSON.stringify(next),
        tenantMember(approval),
        dueMember(approval),
        JSON.stringify(claim),
        String(at),
        turnMember(key),
      )) as number;
      if (remaining < 0) {
        const current = await client.hget(hashKey, field(callId));
        return { outcome: 'not_pending', approval: current ? (JSON.parse(current) as Approval) : approval };
      }
      return { outcome: 'decided', approval: next, remaining };
    },

    async listPending(tenantId: string, limit: number) {
      const members = await client.zrange(tenantKey(tenantId), 0, limit - 1);
      return resolve(
        members.map((m) => [tenantId, ...(JSON.parse(m) as [string, string, string])]),
        tenantKey(tenantId),
        tenantMember,
      );
    },

    async due(limit: number) {
      const members = await client.zrangebyscore(dueKey, '-inf', now(), 'LIMIT', 0, limit);
      return resolve(
        members.map((m) => JSON.parse(m) as [string, string, string, string]),
        dueKey,
        dueMember,
      );
    },

    async waitingIn(tenantId: string, sessionId: string) {
      const turns = await client.hgetall(sessionKey(tenantId, sessionId));
      const found: WaitingTurn[] = [];
      for (const [turnId, pausedAt] of Object.entries(turns)) {
        const [state, pending] = await client.hmget(
          turnKey({ tenantId, sessionId, turnId }),
          'state',
          'pending',
        );
        // A turn that ended, or whose hash expired, leaves the session's list.
        if (!state) await client.hdel(sessionKey(tenantId, sessionId), turnId);
        else if (Number(pending) > 0) found.push({ turnId, pausedAt: Number(pausedAt) });
      }
      return found.sort((a, b) => a.pausedAt - b.pausedAt);
    },

    async stalled(before: number, limit: number) {
      const members = await client.zrangebyscore(resumingKey, '-inf', before, 'LIMIT', 0, limit);
      const found: TurnKey[] = [];
      for (const member of members) {
        const [tenantId, sessionId, turnId] = JSON.parse(member) as [string, string, string];
        const turn = { tenantId, sessionId, turnId };
        // A turn that ended (or whose hash expired) leaves the index.
        if (await client.hexists(turnKey(turn), 'state')) found.push(turn);
        else await client.zrem(resumingKey, member);
      }
      return found;
    },

    async reclaim(key: TurnKey, by: string, before: number) {
      const at = now();
      const claim: ResumeClaim = { by, at };
      const taken = (await client.eval(
        RECLAIM,
        2,
        turnKey(key),
        resumingKey,
        String(before),
        JSON.stringify(claim),
        String(at),
        turnMember(key),
      )) as number;
      return taken === 1;
    },

    async finish(key: TurnKey, retainSeconds: number) {
      const current = await get(key);
      if (!current) return;
      const tx = client
        .multi()
        .hdel(turnKey(key), 'state', 'resuming')
        .zrem(resumingKey, turnMember(key))
        .hdel(sessionKey(key.tenantId, key.sessionId), key.turnId)
        .expire(turnKey(key), retainSeconds);
      for (const approval of current.approvals) {
        if (approval.status !== 'pending') continue;
        tx.zrem(tenantKey(key.tenantId), tenantMember(approval));
        tx.zrem(dueKey, dueMember(approval));
      }
      await tx.exec();
    },

    async close() {},
  };
  return store satisfies ApprovalStore;
}
