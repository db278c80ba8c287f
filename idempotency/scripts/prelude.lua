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
