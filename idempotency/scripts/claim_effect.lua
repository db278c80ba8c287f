-- ClaimEffect: KEYS[1] job record, KEYS[2] effect.
-- ARGV[1] job owner token, ARGV[2] job fence, ARGV[3] effect token,
-- ARGV[4] effect TTL ms, ARGV[5] job key, ARGV[6] effect name.
-- Returns {'acquired'} | {'completed', result} | {'in_progress'} |
-- {'unknown', reason} | {'unknown', reason, marked_ms} (just marked) |
-- {refusal} from owner_check.
local s = owner_check(KEYS[1], ARGV[1], ARGV[2])
if s ~= 'ok' then
  return {s}
end
local e = redis.call('HMGET', KEYS[2], 'state', 'fence', 'result', 'reason')
if not e[1] then
  redis.call('HSET', KEYS[2], 'state', 'in_progress', 'fence', ARGV[2], 'owner', ARGV[1],
    'token', ARGV[3], 'job', ARGV[5], 'name', ARGV[6], 'claimed_ms', now_ms())
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  return {'acquired'}
end
if e[1] == 'completed' then
  return {'completed', e[3] or ''}
end
if e[1] == 'unknown' then
  return {'unknown', e[4] or ''}
end
if e[2] == ARGV[2] then
  -- Held by this same lease (another goroutine of the same run).
  return {'in_progress'}
end
-- Claimed under an earlier fence whose owner neither completed nor released
-- it: the request may or may not have gone out. Never redo it blindly.
local reason = 'abandoned: claimed under fence ' .. e[2] .. ', whose owner neither completed nor released it'
local now = now_ms()
redis.call('HSET', KEYS[2], 'state', 'unknown', 'reason', reason, 'marked_ms', now)
return {'unknown', reason, now}
