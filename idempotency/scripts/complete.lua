-- Complete: KEYS[1] record, KEYS[2] lease.
-- ARGV[1] owner token, ARGV[2] fence, ARGV[3] result, ARGV[4] retention ms.
-- Returns 'ok' or owner_check's refusal. Completing twice is 'ok' (a retry
-- after a lost reply); the first result stays.
local s = owner_check(KEYS[1], ARGV[1], ARGV[2])
if s == 'ended:completed' then
  return 'ok'
end
if s ~= 'ok' then
  return s
end
redis.call('HSET', KEYS[1], 'state', 'completed', 'result', ARGV[3], 'completed_ms', now_ms())
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('DEL', KEYS[2])
return 'ok'
