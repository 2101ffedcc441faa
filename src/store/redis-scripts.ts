/**
 * Every atomic operation on the shared state, one Lua script each (registered with ioredis' defineCommand, so
 * each is sent once and then run by its SHA). Time is always an argument, the pool's clock: a script reads no
 * clock of its own, so replicas and tests agree on what "now" is. Every key a script touches shares its
 * provider's hash tag (`keymux:{openai}:…`), so the scripts run on a Redis Cluster too.
 *
 * Numbers come back as strings where they may have a fraction (Redis truncates a Lua number to an integer).
 */

/** Shared helpers: a reading's level now, and when a bucket holds `need`. As src/store/admission-book.ts. */
const BUCKET = `
local function level(l, r, v, a, now) if now <= a then return v end return math.min(l, v + (now - a) * r) end
local function ready(l, r, v, a, now, need)
  local want = math.min(need, l)
  local lvl = level(l, r, v, a, now)
  if lvl >= want - 1e-6 then return now end
  if r > 0 then return math.ceil(now + (want - lvl) / r) end
  return now + 60000
end
local function num(v) if v == nil or v == false or v == '' then return nil end return tonumber(v) end
`;

/**
 * Admission: takes a unit of the scope's learned budgets, of the key's configured windows, and an in-flight
 * slot of the key and its group — all or nothing. Refused: {0, readyAt, hold}; granted: {1, seq, tseq, inFlight}.
 * KEYS: scope hash, group leases, key leases, rpm window, rpd count of the UTC day, tpm window.
 * ARGV: now, leaseId, expiresAt, tokens, marginMs, rpm, rpd, tpm, maxConcurrent, groupCap, busyRetryMs, keepMs.
 */
export const ADMIT = `${BUCKET}
local now = tonumber(ARGV[1])
local lease, expires, tokens, margin = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local rpm, rpd, tpm, maxc, cap = num(ARGV[6]), num(ARGV[7]), num(ARGV[8]), num(ARGV[9]), num(ARGV[10])
local busy, keep = tonumber(ARGV[11]), tonumber(ARGV[12])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local f = redis.call('HMGET', KEYS[1], 'rl','rr','rv','ra','tl','tr','tv','ta','seq','tseq','dl','dr','dx','ds','el','er','ex','es')
local seq, tseq = num(f[9]) or 0, num(f[10]) or 0
local rl, tl, dl, el = num(f[1]), num(f[5]), num(f[11]), num(f[15])
local t = now
if rl then t = math.max(t, ready(rl, tonumber(f[2]), tonumber(f[3]), tonumber(f[4]), now, 1 + tonumber(f[2]) * margin)) end
if tl and tokens > 0 then t = math.max(t, ready(tl, tonumber(f[6]), tonumber(f[7]), tonumber(f[8]), now, tokens + tonumber(f[6]) * margin)) end
if dl and now < tonumber(f[13]) and tonumber(f[12]) - (seq - tonumber(f[14])) < 1 then t = math.max(t, tonumber(f[13])) end
if el and now < tonumber(f[17]) and tonumber(f[16]) - (tseq - tonumber(f[18])) < tokens then t = math.max(t, tonumber(f[17])) end
if t > now then return {0, math.ceil(t), 'scope'} end
local inflight = redis.call('ZCARD', KEYS[2])
if cap and inflight >= math.max(1, math.floor(cap)) then return {0, now + busy, 'group'} end

-- A sliding window: when need more fits under limit (a need above the limit fits an empty window only).
local function window(key, limit, span, need, weighted)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
  if not weighted then
    local n = redis.call('ZCARD', key)
    if n == 0 or n + need <= limit then return now end
    local k = math.min(n, math.ceil(n + need - limit))
    local e = redis.call('ZRANGE', key, k - 1, k - 1, 'WITHSCORES')
    return tonumber(e[2]) + span
  end
  local e = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  local sum = 0
  for i = 1, #e, 2 do sum = sum + tonumber(string.match(e[i], '|([%d%.]+)$')) end
  if sum == 0 or sum + need <= limit then return now end
  for i = 1, #e, 2 do
    sum = sum - tonumber(string.match(e[i], '|([%d%.]+)$'))
    if sum <= 0 or sum + need <= limit then return tonumber(e[i + 1]) + span end
  end
  return now
end
local k = now
if rpm then k = math.max(k, window(KEYS[4], rpm, 60000, 1, false)) end
-- A configured rpd is counted per UTC day (its key names the day): full, it is out until 00:00 UTC.
if rpd then
  local n = tonumber(redis.call('GET', KEYS[5]) or '0')
  if n > 0 and n + 1 > rpd then k = math.max(k, (math.floor(now / 86400000) + 1) * 86400000) end
end
if tpm and tokens > 0 then k = math.max(k, window(KEYS[6], tpm, 60000, tokens, true)) end
if k > now then return {0, math.ceil(k), 'key'} end
if maxc and redis.call('ZCARD', KEYS[3]) >= math.max(1, math.floor(maxc)) then return {0, now + busy, 'key'} end

if rl then
  redis.call('HSET', KEYS[1], 'rv', tostring(level(rl, tonumber(f[2]), tonumber(f[3]), tonumber(f[4]), now) - 1), 'ra', tostring(math.max(now, tonumber(f[4]))))
end
if tl and tokens > 0 then
  redis.call('HSET', KEYS[1], 'tv', tostring(level(tl, tonumber(f[6]), tonumber(f[7]), tonumber(f[8]), now) - tokens), 'ta', tostring(math.max(now, tonumber(f[8]))))
end
seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
tseq = redis.call('HINCRBY', KEYS[1], 'tseq', tokens)
redis.call('PEXPIRE', KEYS[1], keep)
if rpm then redis.call('ZADD', KEYS[4], now, lease); redis.call('PEXPIRE', KEYS[4], 120000) end
if rpd then redis.call('INCR', KEYS[5]); redis.call('PEXPIRE', KEYS[5], 90000000) end
if tpm and tokens > 0 then redis.call('ZADD', KEYS[6], now, lease .. '|' .. tokens); redis.call('PEXPIRE', KEYS[6], 120000) end
redis.call('ZADD', KEYS[2], expires, lease)
redis.call('ZADD', KEYS[3], expires, lease)
redis.call('PEXPIRE', KEYS[2], keep)
redis.call('PEXPIRE', KEYS[3], keep)
return {1, seq, tseq, inflight}
`;

/**
 * A lease ends (or, without a lease id, a reading is replayed after an outage): frees its slots, counts tokens
 * used into the tpm window, and takes what the response told about the scope's budgets, less every dispatch
 * counted since its lease (from all replicas). A reading older than the one in force is ignored. `now` is when
 * the reading was taken.
 * KEYS: scope hash, group leases, key leases, tpm window.
 * ARGV: now, leaseId, leaseSeq, leaseTseq, usedTokens, rl, rr, rv, ra, tl, tr, tv, ta, dl, dr, dx, el, er, ex, keepMs.
 */
export const RELEASE = `${BUCKET}
local now, lease = tonumber(ARGV[1]), ARGV[2]
if lease ~= '' then
  redis.call('ZREM', KEYS[2], lease)
  redis.call('ZREM', KEYS[3], lease)
  local used = num(ARGV[5])
  if used and used > 0 then redis.call('ZADD', KEYS[4], now, lease .. '|u|' .. used); redis.call('PEXPIRE', KEYS[4], 120000) end
end
local rl, tl, dl, el = num(ARGV[6]), num(ARGV[10]), num(ARGV[14]), num(ARGV[17])
if not (rl or tl or dl or el) then return 0 end
local f = redis.call('HMGET', KEYS[1], 'seq', 'tseq', 'rs', 'rt')
local seq, tseq = num(f[1]) or 0, num(f[2]) or 0
-- A reading without its lease's place (learned while Redis was away) is taken as of now, unless Redis holds one
-- taken since: the others kept it current, and nothing could be taken off the older one for what they sent.
if not num(ARGV[3]) and num(f[4]) and num(f[4]) >= now then return 0 end
local at, tat = num(ARGV[3]) or seq, num(ARGV[4]) or tseq
if at < (num(f[3]) or -1) then return 0 end
redis.call('HSET', KEYS[1], 'rs', at, 'rt', now)
if rl then redis.call('HSET', KEYS[1], 'rl', ARGV[6], 'rr', ARGV[7], 'rv', tostring(tonumber(ARGV[8]) - (seq - at)), 'ra', ARGV[9]) end
if tl then redis.call('HSET', KEYS[1], 'tl', ARGV[10], 'tr', ARGV[11], 'tv', tostring(tonumber(ARGV[12]) - (tseq - tat)), 'ta', ARGV[13]) end
if dl then redis.call('HSET', KEYS[1], 'dl', ARGV[14], 'dr', ARGV[15], 'dx', ARGV[16], 'ds', at) end
if el then redis.call('HSET', KEYS[1], 'el', ARGV[17], 'er', ARGV[18], 'ex', ARGV[19], 'es', tat) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[20]))
return 1
`;

/**
 * A replica says it is alive (or, with replicaUntil <= now, that it leaves) and extends its leases still out.
 * Returns how many replicas are alive. KEYS: replicas, then (group leases, key leases) per lease.
 * ARGV: now, instanceId, replicaUntil, leaseUntil, leaseIds…
 */
export const HEARTBEAT = `
local now = tonumber(ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], 86400000)
for i = 5, #ARGV do
  local j = (i - 5) * 2 + 2
  redis.call('ZADD', KEYS[j], 'XX', ARGV[4], ARGV[i])
  redis.call('ZADD', KEYS[j + 1], 'XX', ARGV[4], ARGV[i])
end
return redis.call('ZCARD', KEYS[1])
`;

/**
 * One state change, last writer wins by time, then told to every replica (PUBLISH inside the script, so no
 * subscriber hears of a change that was not written). Returns 1 when written, 0 when stale.
 * KEYS: keys hash, scopes hash. ARGV: kind, id, change JSON, channel, message (the change and who wrote it).
 */
export const WRITE_STATE = `
local kind, id, c = ARGV[1], ARGV[2], cjson.decode(ARGV[3])
if kind == 'group' then
  local old = redis.call('HGET', KEYS[1], id)
  local rec = old and cjson.decode(old) or { keyId = c.keyId, status = 'active', at = c.at }
  rec.group = c.group
  redis.call('HSET', KEYS[1], id, cjson.encode(rec))
else
  local h = kind == 'key' and KEYS[1] or KEYS[2]
  local old = redis.call('HGET', h, id)
  local prev = old and cjson.decode(old)
  if prev and prev.at > c.at then return 0 end
  local rec
  if kind == 'key' then
    rec = { keyId = c.keyId, status = c.status, at = c.at, reason = c.reason, group = prev and prev.group }
  elseif c.status == 'active' then
    rec = { group = c.group, at = c.at, cleared = true }
  else
    rec = { group = c.group, model = c.model, status = c.status, ['until'] = c['until'] or c.at, reason = c.reason, at = c.at }
  end
  redis.call('HSET', h, id, cjson.encode(rec))
end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
`;

/** Learned limits, one record per (group, model), last writer wins by time. KEYS: learned hash. ARGV: (id, at, JSON)… */
export const SAVE_LEARNED = `
for i = 1, #ARGV, 3 do
  local old = redis.call('HGET', KEYS[1], ARGV[i])
  if not old or cjson.decode(old).at <= tonumber(ARGV[i + 1]) then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2]) end
end
return 1
`;

/**
 * Usage added to per-hour hashes (one row per key and model, or per client, provider and model, as JSON), and
 * each hour indexed for reads. An entry is { init: the row when new, add: sums, outcomes?, priced?, at? }.
 * KEYS: hours index. ARGV: hashPrefix, keepMs, then (hour, field, entry JSON)…
 */
export const ADD_USAGE = `
local prefix, keep = ARGV[1], tonumber(ARGV[2])
for i = 3, #ARGV, 3 do
  local hour, field, u = ARGV[i], ARGV[i + 1], cjson.decode(ARGV[i + 2])
  local key = prefix .. hour
  local old = redis.call('HGET', key, field)
  local r = old and cjson.decode(old) or u.init
  for n, v in pairs(u.add) do r[n] = (r[n] or 0) + v end
  if u.outcomes then for o, n in pairs(u.outcomes) do r.outcomes[o] = (r.outcomes[o] or 0) + n end end
  if u.priced ~= nil then r.priced = r.priced and u.priced end
  if u.at then r.firstAt = math.min(r.firstAt, u.at); r.lastAt = math.max(r.lastAt, u.at) end
  redis.call('HSET', key, field, cjson.encode(r))
  redis.call('PEXPIRE', key, keep)
  redis.call('ZADD', KEYS[1], hour, hour)
end
redis.call('PEXPIRE', KEYS[1], keep)
return 1
`;

export const SCRIPTS = {
  kmxAdmit: { numberOfKeys: 6, lua: ADMIT },
  kmxRelease: { numberOfKeys: 4, lua: RELEASE },
  kmxHeartbeat: { lua: HEARTBEAT },
  kmxWriteState: { numberOfKeys: 2, lua: WRITE_STATE },
  kmxSaveLearned: { numberOfKeys: 1, lua: SAVE_LEARNED },
  kmxAddUsage: { numberOfKeys: 1, lua: ADD_USAGE },
} as const;
