-- Release: KEYS[1] record.
-- ARGV[1] owner token, ARGV[2] fence.
-- Returns 'ok' or owner_check's refusal. Releasing twice is 'ok'. The
-- record, its payload hash and its fencing counter stay; its state is no
-- longer in_progress, so the next Claim acquires at once with a higher
-- fence.
local s = owner_check(KEYS[1], ARGV[1], ARGV[2])
if s == 'ended:released' then
  return 'ok'
end
if s ~= 'ok' then
  return s
end
redis.call('HSET', KEYS[1], 'state', 'released', 'released_ms', now_ms())
return 'ok'
