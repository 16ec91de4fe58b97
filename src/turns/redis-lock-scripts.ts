/**
 * Lua scripts of the Redis turn lock. All state of one session's lock lives in ONE hash, so every
 * script touches a single key (safe on Redis Cluster without hash tags) and runs atomically:
 *
 *   h   token of the holder          hx  when the holder's lease ends (ms, Redis clock)
 *   hn  the holder's name (turn id), when it gave one
 *   n   arrival counter              q:<token>  "<arrival>|<expiry ms>" for each waiter
 *
 * Times come from Redis' own clock (TIME), so instances with skewed clocks agree. A holder that stops
 * renewing, or a waiter that stops polling (its process died), simply lapses; the key itself expires
 * shortly after the last deadline in it.
 */

const PRELUDE = `
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function extend(ms)
  local want = ms + 1000
  if redis.call('PTTL', key) < want then redis.call('PEXPIRE', key, want) end
end

-- Drops a lapsed holder and lapsed waiters; returns the live holder (or false), the number of live
-- waiters, the first of them in arrival order, and the arrival number of 'me' if it is one of them.
local function prune(me)
  local holder = redis.call('HGET', key, 'h')
  if holder and tonumber(redis.call('HGET', key, 'hx') or '0') <= now then
    redis.call('HDEL', key, 'h', 'hx', 'hn')
    holder = false
  end
  local flat = redis.call('HGETALL', key)
  local count, head, headSeq, mySeq = 0, false, nil, nil
  for i = 1, #flat, 2 do
    local field = flat[i]
    if string.sub(field, 1, 2) == 'q:' then
      local value = flat[i + 1]
      local sep = string.find(value, '|', 1, true)
      local seq = tonumber(string.sub(value, 1, sep - 1))
      if tonumber(string.sub(value, sep + 1)) <= now then
        redis.call('HDEL', key, field)
      else
        count = count + 1
        local token = string.sub(field, 3)
        if headSeq == nil or seq < headSeq then headSeq, head = seq, token end
        if token == me then mySeq = seq end
      end
    end
  end
  return holder, count, head, mySeq
end

local function hold(me, lease, name)
  redis.call('HSET', key, 'h', me, 'hx', now + lease)
  if name ~= '' then redis.call('HSET', key, 'hn', name) else redis.call('HDEL', key, 'hn') end
  extend(lease)
end
`;

/**
 * ARGV: token, lease ms, most waiters, waiter expiry ms, "1" when the caller already waits, holder
 * name ('' for none). Returns {1, waiting} granted, {0, waiting} queued (or still queued), {-1,
 * waiting} queue full.
 */
export const ACQUIRE = `${PRELUDE}
local me, lease, maxWaiting, waiterTtl, retry, name = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6]
local holder, count, head, mySeq = prune(me)
if holder == me then return {1, count} end
if not holder and (count == 0 or head == me) then
  if mySeq then
    redis.call('HDEL', key, 'q:' .. me)
    count = count - 1
  end
  hold(me, lease, name)
  return {1, count}
end
if mySeq then
  redis.call('HSET', key, 'q:' .. me, mySeq .. '|' .. (now + waiterTtl))
  extend(waiterTtl)
  return {0, count}
end
-- A waiter whose entry lapsed (a long pause) queues again at the end, but is never refused.
if retry ~= '1' and count >= maxWaiting then return {-1, count} end
local seq = redis.call('HINCRBY', key, 'n', 1)
redis.call('HSET', key, 'q:' .. me, seq .. '|' .. (now + waiterTtl))
extend(waiterTtl)
return {0, count + 1}
`;

/**
 * Takes the lock only when nobody holds it and nobody waits for it; never queues. ARGV: token, lease
 * ms, holder name ('' for none). Returns 1 granted, 0 busy.
 */
export const TRY_ACQUIRE = `${PRELUDE}
local me, lease, name = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local holder, count = prune(me)
if holder or count > 0 then return 0 end
hold(me, lease, name)
return 1
`;

/** The name of the live holder, or false when the lock is free or its holder gave no name. */
export const HOLDER = `${PRELUDE}
local holder = redis.call('HGET', key, 'h')
if not holder or tonumber(redis.call('HGET', key, 'hx') or '0') <= now then return false end
return redis.call('HGET', key, 'hn')
`;

/** ARGV: token, lease ms. Returns 1 while the token still holds the lock, else 0. */
export const RENEW = `${PRELUDE}
local me, lease = ARGV[1], tonumber(ARGV[2])
local holder = redis.call('HGET', key, 'h')
if holder ~= me or tonumber(redis.call('HGET', key, 'hx') or '0') <= now then return 0 end
redis.call('HSET', key, 'hx', now + lease)
extend(lease)
return 1
`;

/**
 * Gives up the lock or a place in the queue (token-checked: a lapsed holder can never release a lock
 * someone else took over), then tells every instance's waiters to try again. ARGV: token, channel.
 */
export const RELEASE = `${PRELUDE}
local me, channel = ARGV[1], ARGV[2]
local changed = redis.call('HDEL', key, 'q:' .. me)
if redis.call('HGET', key, 'h') == me then
  redis.call('HDEL', key, 'h', 'hx', 'hn')
  changed = 1
end
if changed == 0 then return 0 end
local fields = redis.call('HLEN', key)
if fields == 0 or (fields == 1 and redis.call('HEXISTS', key, 'n') == 1) then redis.call('DEL', key) end
redis.call('PUBLISH', channel, key)
return 1
`;
