-- Extend: KEYS[1] record.
-- ARGV[1] owner token, ARGV[2] fence, ARGV[3] lease TTL ms.
-- Returns 'ok' or owner_check's refusal. A lease that lapsed without a
-- takeover is restored; the record is kept for at least the lease.
local s = owner_check(KEYS[1], ARGV[1], ARGV[2])
if s ~= 'ok' then
  return s
end
redis.call('HSET', KEYS[1], 'lease_until', ms_after(now_ms(), ARGV[3]))
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 'ok'
