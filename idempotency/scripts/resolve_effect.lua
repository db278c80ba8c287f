-- ResolveEffect: KEYS[1] effect.
-- ARGV[1] '1' if the effect happened, '0' if not; ARGV[2] effect TTL ms.
-- Returns 'ok' or the effect's state when it is not unknown ('missing'
-- when there is none).
local st = redis.call('HGET', KEYS[1], 'state')
if st ~= 'unknown' then
  return st or 'missing'
end
if ARGV[1] == '1' then
  redis.call('HSET', KEYS[1], 'state', 'completed', 'resolved_ms', now_ms())
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
else
  -- Did not happen: forget it, so the next claim performs it.
  redis.call('DEL', KEYS[1])
end
return 'ok'
