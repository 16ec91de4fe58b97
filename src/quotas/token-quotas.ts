import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CheckOutcome, ReadinessCheck } from '../health/readiness.js';
import type { Keyspace } from '../redis/keys.js';

/** TENANT_TOKEN_QUOTAS parsed: tokens per UTC day per tenant, `*` for every tenant not named. */
export type TokenQuotaTable = Readonly<Record<string, number>>;

const DAY_MS = 86_400_000;

/** Where the tokens used in the current window are counted. */
export interface TokenCounter {
  readonly kind: 'memory' | 'redis';
  used(tenantId: string, window: number): Promise<number>;
  /** Adds `tokens` and returns the new total; the count expires at `expiresAt` (epoch ms). */
  add(tenantId: string, window: number, tokens: number, expiresAt: number): Promise<number>;
}

/** One process: a small map, pruned of past windows as it goes. Bounded by the number of tenants. */
export function createMemoryTokenCounter(maxTenants = 100_000): TokenCounter {
  const counts = new Map<string, { window: number; used: number }>();
  return {
    kind: 'memory',
    async used(tenantId, window) {
      const entry = counts.get(tenantId);
      return entry && entry.window === window ? entry.used : 0;
    },
    async add(tenantId, window, tokens) {
      const entry = counts.get(tenantId);
      const used = (entry && entry.window === window ? entry.used : 0) + tokens;
      if (!entry && counts.size >= maxTenants) {
        for (const [tenant, e] of counts) if (e.window !== window) counts.delete(tenant);
      }
      counts.set(tenantId, { window, used });
      return used;
    },
  };
}

/** Shared by every instance: INCRBY on one key per tenant and window, expiring at the window end. */
export function createRedisTokenCounter(redis: Redis, keys: Keyspace): TokenCounter {
  const key = (tenantId: string, window: number) => keys.key('tokens', tenantId, String(window));
  return {
    kind: 'redis',
    async used(tenantId, window) {
      const value = await redis.get(key(tenantId, window));
      return value === null ? 0 : Number.parseInt(value, 10) || 0;
    },
    async add(tenantId, window, tokens, expiresAt) {
      const k = key(tenantId, window);
      const [[incrErr, total], [expireErr]] = (await redis
        .multi()
        .incrby(k, tokens)
        .pexpireat(k, expiresAt)
        .exec()) as [[Error | null, number], [Error | null, unknown]];
      if (incrErr) throw incrErr;
      if (expireErr) throw expireErr;
      return total;
    },
  };
}

export type QuotaCheck =
  | { ok: true; remaining?: number }
  | { ok: false; limit: number; used: number; retryAfterSeconds: number };

export interface TokenQuotasOptions {
  quotas: TokenQuotaTable;
  counter: TokenCounter;
  logger: Logger;
  now?: () => number;
}

/**
 * Token quotas per tenant and UTC day. `check` runs before a turn and refuses once the day's usage
 * reached the limit (until the window resets); `consume` adds a finished turn's tokens. A counter
 * that fails (Redis down) never blocks a turn: the check lets it through and the failure is logged.
 */
export function createTokenQuotas(options: TokenQuotasOptions) {
  const { quotas, counter, logger } = options;
  const now = options.now ?? Date.now;
  const limitOf = (tenantId: string): number | undefined => quotas[tenantId] ?? quotas['*'];
  const windowOf = (at: number) => Math.floor(at / DAY_MS);

  return {
    enabled: Object.keys(quotas).length > 0,
    limitOf,
    async check(tenantId: string): Promise<QuotaCheck> {
      const limit = limitOf(tenantId);
      if (limit === undefined) return { ok: true };
      const at = now();
      const window = windowOf(at);
      let used: number;
      try {
        used = await counter.used(tenantId, window);
      } catch (err) {
        logger.warn(
          { err: (err as Error).message, tenant_id: tenantId },
          'token quota check failed; turn allowed',
        );
        return { ok: true };
      }
      if (used < limit) return { ok: true, remaining: limit - used };
      const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * DAY_MS - at) / 1000));
      return { ok: false, limit, used, retryAfterSeconds };
    },
    /** Adds a turn's tokens; returns what is left of the tenant's quota (undefined: no quota). */
    async consume(tenantId: string, tokens: number): Promise<number | undefined> {
      const limit = limitOf(tenantId);
      if (limit === undefined) return undefined;
      const at = now();
      const window = windowOf(at);
      try {
        const used =
          tokens > 0
            ? await counter.add(tenantId, window, tokens, (window + 1) * DAY_MS)
            : await counter.used(tenantId, window);
        return Math.max(0, limit - used);
      } catch (err) {
        logger.error(
          { err: (err as Error).message, tenant_id: tenantId, tokens },
          'token usage could not be counted',
        );
        return undefined;
      }
    },
    /** Non-critical readiness: where quotas are counted and how much each named tenant has left today. */
    readinessCheck(): ReadinessCheck {
      return {
        name: 'token_quotas',
        critical: false,
        async run(): Promise<CheckOutcome> {
          const window = windowOf(now());
          const tenants: Record<string, { limit: number; used: number; remaining: number }> = {};
          try {
            for (const [tenant, limit] of Object.entries(quotas)) {
              if (tenant === '*') continue;
              const used = await counter.used(tenant, window);
              tenants[tenant] = { limit, used, remaining: Math.max(0, limit - used) };
            }
          } catch (err) {
            logger.warn({ err: (err as Error).message }, 'token usage cannot be read');
            return { status: 'degraded', message: 'token usage cannot be read from its counter' };
          }
          return {
            status: 'healthy',
            details: {
              counter: counter.kind,
              window: 'UTC day',
              resets_at: new Date((window + 1) * DAY_MS).toISOString(),
              ...(quotas['*'] === undefined ? {} : { default_limit: quotas['*'] }),
              tenants,
            },
          };
        },
      };
    },
  };
}

export type TokenQuotas = ReturnType<typeof createTokenQuotas>;
