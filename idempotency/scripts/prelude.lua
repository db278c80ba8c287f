-- Shared by every script (prepended at load). Redis runs each script
-- atomically, so a check and the write that depends on it cannot be
-- separated by another client's command.

-- now_ms returns Redis's clock in milliseconds, as a decimal string (string
-- arithmetic keeps Lua's doubles out of the stored value).
local function now_ms()
  local t = redis.call('TIME')
  return t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
end

-- owner_check returns 'ok' when (token, fence) is the record's current
-- owner and its claim is still in progress. Otherwise it returns why not:
-- 'lease_lost' (no record), 'not_owner' (another claim has taken the key
-- since), or 'ended:<state>' (this owner already completed or released it).
-- A lease whose TTL lapsed without anyone claiming the key since is still
-- current: the fencing number proves nobody else has run the job.
local function owner_check(rec, token, fence)
  local r = redis.call('HMGET', rec, 'state', 'owner', 'fence')
  if not r[1] then
    return 'lease_lost'
  end
  if r[2] ~= token or r[3] ~= fence then
    return 'not_owner'
  end
  if r[1] ~= 'in_progress' then
    return 'ended:' .. r[1]
  end
  return 'ok'
end

-- claim_one is the claim of one job: rec and lease are its record and
-- lease keys; hash its payload hash; token the new owner's token;
-- lease_ttl and rec_ttl in ms; now is now_ms(), read once per script. It
-- returns {'acquired', fence} | {'completed', result} |
-- {'in_progress', remaining lease ms} | {'conflict'}. claim.lua runs it
-- for one job, claim_batch.lua for many.
--
-- A lease never outlives its record: the record's TTL is at least the
-- lease's when it is claimed and when it is extended, and completing or
-- releasing deletes the lease. So a job with no record has no lease, and
-- its claim (the common case) costs four writes and no reads beyond the
-- first.
local function claim_one(rec, lease, hash, token, lease_ttl, rec_ttl, now)
  local r = redis.call('HMGET', rec, 'state', 'hash', 'result')
  local state = r[1]
  local rec_ms = math.max(tonumber(rec_ttl), tonumber(lease_ttl))
  if not state then
    -- Never claimed (or its record expired): fence 1.
    redis.call('HSET', rec, 'state', 'in_progress', 'hash', hash, 'owner', token, 'fence', 1, 'claimed_ms', now)
    redis.call('PEXPIRE', rec, rec_ms)
    redis.call('HSET', lease, 'owner', token, 'fence', 1)
    redis.call('PEXPIRE', lease, lease_ttl)
    return {'acquired', 1}
  end
  -- A key stays bound to the payload it was first claimed with for as
  -- long as its record lives, whatever became of that claim.
  if r[2] ~= hash then
    return {'conflict'}
  end
  if state == 'completed' then
    return {'completed', r[3] or ''}
  end
  local ttl = redis.call('PTTL', lease)
  if ttl > 0 then
    return {'in_progress', ttl}
  end
  -- Released, or its lease expired: take it with the next fencing number;
  -- a stale owner still holding the old number is refused by every later
  -- write. The lease's two fields are overwritten, so no old value stays.
  local fence = redis.call('HINCRBY', rec, 'fence', 1)
  redis.call('HSET', rec, 'state', 'in_progress', 'owner', token, 'claimed_ms', now)
  if redis.call('PTTL', rec) < rec_ms then
    redis.call('PEXPIRE', rec, rec_ms)
  end
  redis.call('HSET', lease, 'owner', token, 'fence', fence)
  redis.call('PEXPIRE', lease, lease_ttl)
  return {'acquired', fence}
end

-- complete_one records one job as done: rec and lease are its keys;
-- token and fence its owner's; result what it stores, kept retention ms;
-- now is now_ms().
-- It returns 'ok' or owner_check's refusal. Completing twice is 'ok' (a
-- retry after a lost reply); the first result stays. complete.lua runs it
-- for one job, complete_batch.lua for many.
local function complete_one(rec, lease, token, fence, result, retention, now)
  local s = owner_check(rec, token, fence)
  if s == 'ended:completed' then
    return 'ok'
  end
  if s ~= 'ok' then
    return s
  end
  redis.call('HSET', rec, 'state', 'completed', 'result', result, 'completed_ms', now)
  redis.call('PEXPIRE', rec, retention)
  redis.call('DEL', lease)
  return 'ok'
end
