/**
 * The Redis store's Lua scripts. Each runs atomically on the server, so an append (caps, trim,
 * attributes, activity, TTL) is one step that no other instance can interleave with.
 *
 * Layout of one session, every key under the prefix with tenant and session id percent-encoded
 * (src/redis/keys.ts): `session:T:S` a hash {created, last, count}, `session-messages:T:S` a list of
 * messages (one role letter, `u` or `a`, then the message as JSON), `session-attributes:T:S` a hash.
 * `sessions:T` is a sorted set of the tenant's session ids (encoded) by activity, `sessions-all` one of
 * `T:S` members over every tenant. Every key of a session, and both sets, expire after the idle TTL
 * (PEXPIRE, refreshed on activity); expired members leave the sets when next seen.
 */

/** Shared by the scripts: drop one session (all keys and set members) given its `T:S` member. */
const DROP = `
-- Lua prints numbers with 14 digits; scores and cut-offs are passed on with all of theirs.
local function fmt(x) return string.format('%.3f', x) end
local function drop(m, allKey, metaP, msgsP, attrsP, tenantP)
  local sep = string.find(m, ':', 1, true)
  redis.call('DEL', metaP .. m, msgsP .. m, attrsP .. m)
  redis.call('ZREM', tenantP .. string.sub(m, 1, sep - 1), string.sub(m, sep + 1))
  redis.call('ZREM', allKey, m)
end
`;

/** Counts attributes after a patch (ARGV triples from `first`), before anything is written. */
const CHECK_ATTRIBUTES = `
local function attributesAfter(attrsKey, exists, nPatch, first)
  local size = 0
  if exists then size = redis.call('HLEN', attrsKey) end
  for i = 0, nPatch - 1 do
    local op, name = ARGV[first + 3 * i], ARGV[first + 3 * i + 1]
    local has = exists and redis.call('HEXISTS', attrsKey, name) == 1
    if op == '1' and not has then size = size + 1 elseif op == '0' and has then size = size - 1 end
  end
  return size
end
local function applyAttributes(attrsKey, nPatch, first)
  for i = 0, nPatch - 1 do
    local op, name, value = ARGV[first + 3 * i], ARGV[first + 3 * i + 1], ARGV[first + 3 * i + 2]
    if op == '1' then redis.call('HSET', attrsKey, name, value) else redis.call('HDEL', attrsKey, name) end
  end
end
`;

/**
 * KEYS: meta, messages, attributes, tenant set, global set.
 * ARGV: now, ttlMs, maxMessages, maxSessions, maxPerTenant, tenant member (S), global member (T:S),
 * meta/messages/attributes/tenant-set key prefixes, maxAttributes, patch size n, n triples
 * (op 1 = set / 0 = remove, name, value), then the messages.
 * Returns {created, last, count, messages, attributes} or an `ATTRIBUTES` error, having written nothing.
 */
export const APPEND_SCRIPT = `${DROP}${CHECK_ATTRIBUTES}
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local maxMessages, maxSessions, maxPerTenant = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local member, gmember = ARGV[6], ARGV[7]
local metaP, msgsP, attrsP, tenantP = ARGV[8], ARGV[9], ARGV[10], ARGV[11]
local maxAttrs, nPatch = tonumber(ARGV[12]), tonumber(ARGV[13])
local firstMessage = 14 + 3 * nPatch
local exists = redis.call('EXISTS', KEYS[1]) == 1

if nPatch > 0 and attributesAfter(KEYS[3], exists, nPatch, 14) > maxAttrs then
  return redis.error_reply('ATTRIBUTES too many attributes')
end

local cutoff = fmt(now - ttl)
if not exists then
  -- A new (or expired) session: leftovers go, then room is made under both caps.
  redis.call('DEL', KEYS[2], KEYS[3])
  redis.call('ZREM', KEYS[4], member)
  redis.call('ZREM', KEYS[5], gmember)
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', cutoff, 'LIMIT', 0, 1000)) do
    drop(m, KEYS[5], metaP, msgsP, attrsP, tenantP)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', cutoff)
  local tenantPart = string.sub(gmember, 1, string.find(gmember, ':', 1, true))
  local own = redis.call('ZCARD', KEYS[4])
  if own >= maxPerTenant then
    for _, s in ipairs(redis.call('ZRANGE', KEYS[4], 0, own - maxPerTenant)) do
      drop(tenantPart .. s, KEYS[5], metaP, msgsP, attrsP, tenantP)
    end
  end
  local all = redis.call('ZCARD', KEYS[5])
  if all >= maxSessions then
    for _, m in ipairs(redis.call('ZRANGE', KEYS[5], 0, all - maxSessions)) do
      drop(m, KEYS[5], metaP, msgsP, attrsP, tenantP)
    end
  end
  redis.call('HSET', KEYS[1], 'created', ARGV[1])
end

for i = firstMessage, #ARGV, 100 do
  redis.call('RPUSH', KEYS[2], unpack(ARGV, i, math.min(i + 99, #ARGV)))
end
local len = redis.call('LLEN', KEYS[2])
if len > maxMessages then
  -- Never open with an answer whose question was trimmed away.
  local minimum = len - maxMessages
  local start = minimum
  for i, item in ipairs(redis.call('LRANGE', KEYS[2], minimum, -1)) do
    if string.sub(item, 1, 1) == 'u' then
      start = minimum + i - 1
      break
    end
  end
  redis.call('LTRIM', KEYS[2], start, -1)
  len = len - start
end
applyAttributes(KEYS[3], nPatch, 14)

-- Scores only ever grow, so two appends in one millisecond still list in the order they happened.
local score = now
local top = redis.call('ZREVRANGE', KEYS[5], 0, 0, 'WITHSCORES')
if top[2] and tonumber(top[2]) >= score then score = tonumber(top[2]) + 0.001 end
redis.call('HSET', KEYS[1], 'last', ARGV[1], 'count', len)
redis.call('ZADD', KEYS[4], fmt(score), member)
redis.call('ZADD', KEYS[5], fmt(score), gmember)
for i = 1, 5 do redis.call('PEXPIRE', KEYS[i], ttl) end
return {redis.call('HGET', KEYS[1], 'created'), ARGV[1], len,
  redis.call('LRANGE', KEYS[2], 0, -1), redis.call('HGETALL', KEYS[3])}
`;

/**
 * KEYS: meta, messages, attributes. ARGV: maxAttributes, patch size n, n triples.
 * Returns false when the session does not exist; else {created, last, count, messages, attributes}.
 */
export const SET_ATTRIBUTES_SCRIPT = `${CHECK_ATTRIBUTES}
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local maxAttrs, nPatch = tonumber(ARGV[1]), tonumber(ARGV[2])
if attributesAfter(KEYS[3], true, nPatch, 3) > maxAttrs then
  return redis.error_reply('ATTRIBUTES too many attributes')
end
applyAttributes(KEYS[3], nPatch, 3)
-- Not activity: the attributes expire with the rest of the session.
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
local meta = redis.call('HMGET', KEYS[1], 'created', 'last', 'count')
return {meta[1], meta[2], tonumber(meta[3]), redis.call('LRANGE', KEYS[2], 0, -1), redis.call('HGETALL', KEYS[3])}
`;

/**
 * KEYS: meta, messages, attributes, tenant set, global set. ARGV: tenant member, global member.
 * Returns 1 when the session existed.
 */
export const DELETE_SCRIPT = `
local existed = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[2])
return existed
`;

/**
 * KEYS: tenant set, global set. ARGV: now, ttlMs, offset, limit, encoded tenant, meta and attributes
 * key prefixes. Returns {total, {member, created, last, count, attributes}...}.
 */
export const LIST_SCRIPT = `
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local offset, limit = tonumber(ARGV[3]), tonumber(ARGV[4])
local tenantPart, metaP, attrsP = ARGV[5] .. ':', ARGV[6], ARGV[7]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.3f', now - ttl))
local rows = {}
if limit > 0 then
  for _, s in ipairs(redis.call('ZREVRANGE', KEYS[1], offset, offset + limit - 1)) do
    local meta = redis.call('HMGET', metaP .. tenantPart .. s, 'created', 'last', 'count')
    if meta[1] then
      rows[#rows + 1] = {s, meta[1], meta[2], tonumber(meta[3]), redis.call('HGETALL', attrsP .. tenantPart .. s)}
    else
      -- Expired a moment before its score said so: forget the member.
      redis.call('ZREM', KEYS[1], s)
      redis.call('ZREM', KEYS[2], tenantPart .. s)
    end
  end
end
return {redis.call('ZCARD', KEYS[1]), rows}
`;

/** KEYS: global set. ARGV: now, ttlMs. Returns the number of live sessions. */
export const COUNT_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.3f', tonumber(ARGV[1]) - tonumber(ARGV[2])))
return redis.call('ZCARD', KEYS[1])
`;
