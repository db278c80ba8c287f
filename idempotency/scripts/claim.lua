-- Claim: KEYS[1] record, KEYS[2] lease.
-- ARGV[1] payload hash, ARGV[2] owner token, ARGV[3] lease TTL ms,
-- ARGV[4] record TTL ms (the retention of a claim not yet completed).
-- Returns {'acquired', fence} | {'completed', result} |
-- {'in_progress', remaining lease ms} | {'conflict'}.
local rec, lease = KEYS[1], KEYS[2]
local r = redis.call('HMGET', rec, 'state', 'hash', 'result')
local state = r[1]
-- A key stays bound to the payload it was first claimed with for as long as
-- its record lives, whatever became of that claim.
if state and r[2] ~= ARGV[1] then
  return {'conflict'}
end
if state == 'completed' then
  return {'completed', r[3] or ''}
end
local ttl = redis.call('PTTL', lease)
if ttl > 0 then
  return {'in_progress', ttl}
end
-- Free: never claimed, released, or its lease expired. Take it with the
-- next fencing number; a stale owner still holding the old number is
-- refused by every later write.
local fence = redis.call('HINCRBY', rec, 'fence', 1)
redis.call('HSET', rec, 'state', 'in_progress', 'hash', ARGV[1], 'owner', ARGV[2], 'claimed_ms', now_ms())
if redis.call('PTTL', rec) < tonumber(ARGV[4]) then
  redis.call('PEXPIRE', rec, ARGV[4])
end
redis.call('DEL', lease)
redis.call('HSET', lease, 'owner', ARGV[2], 'fence', fence)
redis.call('PEXPIRE', lease, ARGV[3])
return {'acquired', fence}
