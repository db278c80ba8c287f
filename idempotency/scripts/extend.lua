-- Extend: KEYS[1] record, KEYS[2] lease.
-- ARGV[1] owner token, ARGV[2] fence, ARGV[3] lease TTL ms.
-- Returns 'ok' or owner_check's refusal.
local s = owner_check(KEYS[1], ARGV[1], ARGV[2])
if s ~= 'ok' then
  return s
end
-- Rewritten rather than only re-expired, so a lease that lapsed without a
-- takeover is restored.
redis.call('HSET', KEYS[2], 'owner', ARGV[1], 'fence', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 'ok'
