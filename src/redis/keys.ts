/**
 * Key naming for everything the project keeps in Redis. Every key starts with REDIS_KEY_PREFIX, then
 * a kind, then its parts; each part is percent-encoded, so no tenant or session id can contain the
 * `:` separator (or any other character that would let two different (tenant, session) pairs name the
 * same key). Hash tags are never used: keys of one session may live on different cluster shards.
 */
export function createKeyspace(prefix: string) {
  const part = (value: string) => encodeURIComponent(value);
  const key = (kind: string, ...parts: string[]) => `${prefix}${kind}:${parts.map(part).join(':')}`;
  return {
    prefix,
    /** `<prefix><kind>:<part>:<part>…` with every part encoded. */
    key,
    session: (tenantId: string, sessionId: string) => key('session', tenantId, sessionId),
    sessionMessages: (tenantId: string, sessionId: string) => key('session-messages', tenantId, sessionId),
    sessionAttributes: (tenantId: string, sessionId: string) =>
      key('session-attributes', tenantId, sessionId),
    tenantSessions: (tenantId: string) => key('sessions', tenantId),
    allSessions: () => `${prefix}sessions-all`,
    turnLock: (tenantId: string, sessionId: string) => key('lock', tenantId, sessionId),
  };
}

export type Keyspace = ReturnType<typeof createKeyspace>;
