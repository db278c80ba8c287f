-- Shared by every script (prepended at load). Redis runs each script
-- atomically, so a check and the write that depends on it cannot be
-- separated by another client's command.

-- now_ms returns Redis's clock in milliseconds, as a decimal string (string
-- arithmetic keeps Lua's doubles out of the stored value).
local function now_ms()
  local t = redis.call('TIME')
  return t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
end

-- ms_after returns the time ms after now (both decimal strings of ms), as a
-- decimal string. Millisecond times fit a double exactly.
local function ms_after(now, ms)
  return string.format('%d', tonumber(now) + tonumber(ms))
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

-- effect_check is owner_check for one of the job's effects: the job lease,
-- then the effect's own token. It returns 'ok' and the effect's state (nil
-- when the effect has no record), or a refusal: owner_check's, or
-- 'not_owner' when another claim of the effect holds it.
local function effect_check(rec, token, fence, eff, eff_token)
  local s = owner_check(rec, token, fence)
  if s ~= 'ok' then
    return s
  end
  local e = redis.call('HMGET', eff, 'state', 'token')
  if not e[1] then
    return 'ok', nil
  end
  if e[2] ~= eff_token then
    return 'not_owner'
  end
  return 'ok', e[1]
end

-- claim_one is the claim of one job: rec is its record key; hash its
-- payload hash; token the new owner's token; lease_ttl and rec_ttl in ms;
-- now is now_ms(), read once per script. It returns {'acquired', fence} |
-- {'completed', result} | {'in_progress', remaining lease ms} |
-- {'conflict'}. claim.lua runs it for one job, claim_batch.lua for many.
--
-- The lease lives in the record: the job is in progress while its state is
-- in_progress and lease_until (Redis time, ms) is ahead of now. The record
-- is kept for at least the lease. A job never claimed (the common case)
-- costs one read and two writes.
local function claim_one(rec, hash, token, lease_ttl, rec_ttl, now)
  local r = redis.call('HMGET', rec, 'state', 'hash', 'result', 'lease_until')
  local state = r[1]
  local rec_ms = math.max(tonumber(rec_ttl), tonumber(lease_ttl))
  if not state then
    -- Never claimed (or its record expired): fence 1.
    redis.call('HSET', rec, 'state', 'in_progress', 'hash', hash, 'owner', token, 'fence', 1,
      'claimed_ms', now, 'lease_until', ms_after(now, lease_ttl))
    redis.call('PEXPIRE', rec, rec_ms)
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
  if state == 'in_progress' then
    local left = tonumber(r[4] or '0') - tonumber(now)
    if left > 0 then
      return {'in_progress', left}
    end
  end
  -- Released, or its lease expired: take it with the next fencing number;
  -- a stale owner still holding the old number is refused by every later
  -- write.
  local fence = redis.call('HINCRBY', rec, 'fence', 1)
  redis.call('HSET', rec, 'state', 'in_progress', 'owner', token, 'claimed_ms', now,
    'lease_until', ms_after(now, lease_ttl))
  if redis.call('PTTL', rec) < rec_ms then
    redis.call('PEXPIRE', rec, rec_ms)
  end
  return {'acquired', fence}
end

-- complete_one records one job as done: rec is its record key;
-- token and fence its owner's; result what it stores, kept retention ms;
-- now is now_ms().
-- It returns 'ok' or owner_check's refusal. Completing twice is 'ok' (a
-- retry after a lost reply); the first result stays. complete.lua runs it
-- for one job, complete_batch.lua for many.
local function complete_one(rec, token, fence, result, retention, now)
  local s = owner_check(rec, token, fence)
  if s == 'ended:completed' then
    return 'ok'
  end
  if s ~= 'ok' then
    return s
  end
  redis.call('HSET', rec, 'state', 'completed', 'result', result, 'completed_ms', now)
  redis.call('PEXPIRE', rec, retention)
  return 'ok'
end
