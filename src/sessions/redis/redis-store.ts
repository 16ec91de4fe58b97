import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keyspace } from '../../redis/keys.js';
import { checkAttributesPatch, EMPTY_ATTRIBUTES, MAX_ATTRIBUTES } from '../attributes.js';
import { SessionAttributesError, SessionStoreUnavailableError } from '../errors.js';
import { checkLimits, deepFreeze, type SessionLimits } from '../store-support.js';
import type {
  SessionAttributes,
  SessionAttributesPatch,
  SessionKey,
  SessionSnapshot,
  SessionStore,
  SessionSummary,
  StoredMessage,
} from '../types.js';
import { APPEND_SCRIPT, COUNT_SCRIPT, DELETE_SCRIPT, LIST_SCRIPT, SET_ATTRIBUTES_SCRIPT } from './scripts.js';

export interface RedisSessionStoreOptions extends SessionLimits {
  /** The shared connection (src/redis/client.ts); the store never closes it. */
  client: Redis;
  keyspace: Keyspace;
  /** Epoch milliseconds for timestamps and activity order; key expiry is Redis's own clock. */
  now?: () => number;
}

/** A Lua script run by its SHA, loaded again when the server has forgotten it (restart, SCRIPT FLUSH). */
function script(lua: string) {
  const sha = createHash('sha1').update(lua).digest('hex');
  return async (client: Redis, keys: string[], args: Array<string | number>): Promise<unknown> => {
    try {
      return await client.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.eval(lua, keys.length, ...keys, ...args);
    }
  };
}

const appendScript = script(APPEND_SCRIPT);
const setAttributesScript = script(SET_ATTRIBUTES_SCRIPT);
const deleteScript = script(DELETE_SCRIPT);
const listScript = script(LIST_SCRIPT);
const countScript = script(COUNT_SCRIPT);

type ScriptSession = [created: string, last: string, count: number, messages: string[], attributes: string[]];

const ROLE_LETTER = { user: 'u', assistant: 'a', operator: 'o' } as const;
const enc = encodeURIComponent;

/**
 * Sessions in Redis, shared by every instance. Every change is one Lua script (atomic: caps, trim,
 * attributes, activity order and TTL together); reads are one script or one MULTI. Keys come from
 * the keyspace (collision-proof under REDIS_KEY_PREFIX). While Redis is unreachable every method
 * rejects with SessionStoreUnavailableError at once (the client does not queue commands).
 */
export function createRedisSessionStore(options: RedisSessionStoreOptions) {
  const { ttlMs, maxSessions, maxSessionsPerTenant, maxMessages } = checkLimits(options);
  const { client, keyspace } = options;
  const now = options.now ?? (() => Date.now());
  // Prefixes the scripts use to name the keys of sessions they evict: keyspace.session(t, s) is
  // exactly `metaPrefix + enc(t) + ':' + enc(s)`.
  const metaPrefix = keyspace.key('session');
  const messagesPrefix = keyspace.key('session-messages');
  const attributesPrefix = keyspace.key('session-attributes');
  const tenantPrefix = keyspace.key('sessions');
  const allKey = keyspace.allSessions();

  function sessionKeys(key: SessionKey): string[] {
    return [
      keyspace.session(key.tenantId, key.sessionId),
      keyspace.sessionMessages(key.tenantId, key.sessionId),
      keyspace.sessionAttributes(key.tenantId, key.sessionId),
      keyspace.tenantSessions(key.tenantId),
      allKey,
    ];
  }

  function patchArgs(entries: ReadonlyArray<readonly [string, string | null]>): string[] {
    const args = [String(entries.length)];
    for (const [name, value] of entries) args.push(value === null ? '0' : '1', name, value ?? '');
    return args;
  }

  function attributesFrom(flat: string[]): SessionAttributes {
    if (flat.length === 0) return EMPTY_ATTRIBUTES;
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
    return Object.freeze(out);
  }

  function snapshotFrom(key: SessionKey, [created, last, , messages, attributes]: ScriptSession) {
    return deepFreeze<SessionSnapshot>({
      tenantId: key.tenantId,
      sessionId: key.sessionId,
      createdAt: new Date(Number(created)).toISOString(),
      lastActivity: new Date(Number(last)).toISOString(),
      messages: messages.map((item) => JSON.parse(item.slice(1)) as StoredMessage),
      attributes: attributesFrom(attributes),
    });
  }

  /** Redis failures become one domain error; the scripts' own refusals keep their meaning. */
  async function guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof SessionAttributesError) throw err;
      if (err instanceof Error && err.message.startsWith('ATTRIBUTES')) {
        throw new SessionAttributesError(`at most ${MAX_ATTRIBUTES} attributes per session`);
      }
      throw new SessionStoreUnavailableError('redis', { cause: err });
    }
  }

  const store = {
    kind: 'redis' as const,

    get(key: SessionKey): Promise<SessionSnapshot | undefined> {
      return guard(async () => {
        const [meta, messages, attributes] = sessionKeys(key) as [string, string, string];
        const results = await client
          .multi()
          .hmget(meta, 'created', 'last', 'count')
          .lrange(messages, 0, -1)
          .hgetall(attributes)
          .exec();
        if (!results) throw new Error('transaction aborted');
        for (const [err] of results) if (err) throw err;
        const [created, last, count] = (results[0]?.[1] ?? []) as Array<string | null>;
        if (!created || !last) return undefined;
        const flat = Object.entries((results[2]?.[1] ?? {}) as Record<string, string>).flat();
        return snapshotFrom(key, [created, last, Number(count), results[1]?.[1] as string[], flat]);
      });
    },

    append(
      key: SessionKey,
      messages: readonly StoredMessage[],
      attributes?: SessionAttributesPatch,
    ): Promise<SessionSnapshot> {
      return guard(async () => {
        const patch = attributes ? checkAttributesPatch(attributes) : [];
        const member = enc(key.sessionId);
        const reply = (await appendScript(client, sessionKeys(key), [
          now(),
          ttlMs,
          maxMessages,
          maxSessions,
          maxSessionsPerTenant,
          member,
          `${enc(key.tenantId)}:${member}`,
          metaPrefix,
          messagesPrefix,
          attributesPrefix,
          tenantPrefix,
          MAX_ATTRIBUTES,
          ...patchArgs(patch),
          ...messages.map((m) => ROLE_LETTER[m.role] + JSON.stringify(m)),
        ])) as ScriptSession;
        return snapshotFrom(key, reply);
      });
    },

    setAttributes(key: SessionKey, patch: SessionAttributesPatch): Promise<SessionSnapshot | undefined> {
      return guard(async () => {
        const entries = checkAttributesPatch(patch);
        const keys = sessionKeys(key).slice(0, 3);
        const reply = (await setAttributesScript(client, keys, [
          MAX_ATTRIBUTES,
          ...patchArgs(entries),
        ])) as ScriptSession | null;
        return reply ? snapshotFrom(key, reply) : undefined;
      });
    },

    delete(key: SessionKey): Promise<boolean> {
      return guard(async () => {
        const member = enc(key.sessionId);
        const existed = await deleteScript(client, sessionKeys(key), [
          member,
          `${enc(key.tenantId)}:${member}`,
        ]);
        return existed === 1;
      });
    },

    list(
      tenantId: string,
      page: { limit: number; offset: number },
    ): Promise<{ total: number; sessions: SessionSummary[] }> {
      return guard(async () => {
        const limit = Math.max(0, Math.floor(page.limit));
        const offset = Math.max(0, Math.floor(page.offset));
        const [total, rows] = (await listScript(
          client,
          [keyspace.tenantSessions(tenantId), allKey],
          [now(), ttlMs, offset, limit, enc(tenantId), metaPrefix, attributesPrefix],
        )) as [number, Array<[string, string, string, number, string[]]>];
        return {
          total,
          sessions: rows.map(([member, created, last, count, attributes]) => ({
            session_id: decodeURIComponent(member),
            message_count: count,
            created_at: new Date(Number(created)).toISOString(),
            last_activity: new Date(Number(last)).toISOString(),
            attributes: attributesFrom(attributes),
          })),
        };
      });
    },

    count(): Promise<number> {
      return guard(async () => (await countScript(client, [allKey], [now(), ttlMs])) as number);
    },

    /** The connection belongs to the runtime, which closes it after everything that uses it. */
    async close(): Promise<void> {},
  };

  return store satisfies SessionStore;
}

export type RedisSessionStore = ReturnType<typeof createRedisSessionStore>;
