-- CompleteEffect: KEYS[1] job record, KEYS[2] effect, KEYS[3] unknown-effects index.
-- ARGV[1] job owner token, ARGV[2] job fence, ARGV[3] effect token,
-- ARGV[4] result, ARGV[5] effect TTL ms, ARGV[6] index member.
-- Returns 'ok' | 'effect_lost' | 'not_owner' | owner_check's refusal.
local s, state = effect_check(KEYS[1], ARGV[1], ARGV[2], KEYS[2], ARGV[3])
if s ~= 'ok' then
  return s
end
if not state then
  return 'effect_lost'
end
if state == 'completed' then
  return 'ok'
end
-- claimed (done without a request, e.g. found suppressed), attempting, or
-- unknown as marked by this same claim, which has since learned the outcome.
redis.call('HSET', KEYS[2], 'state', 'completed', 'result', ARGV[4], 'completed_ms', now_ms())
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('ZREM', KEYS[3], ARGV[6])
return 'ok'
