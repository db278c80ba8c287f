-- MarkEffectUnknown: KEYS[1] effect, KEYS[2] unknown-effects index.
-- ARGV[1] effect token, ARGV[2] reason, ARGV[3] index member.
-- Returns {'ok', marked_ms} | {'completed'} (an event had already reported
-- it) | {'effect_lost'} | {'not_owner'} | {'ended:completed'}.
-- The effect and its index entry are written together, so the listing
-- misses no unknown effect. The job lease is not checked: marking an
-- effect unknown only ever prevents a redo, so a stale owner may still do it.
local e = redis.call('HMGET', KEYS[1], 'state', 'token', 'marked_ms', 'observed')
if not e[1] then
  return {'effect_lost'}
end
if e[2] ~= ARGV[1] then
  return {'not_owner'}
end
if e[1] == 'completed' then
  return {'ended:completed'}
end
if e[1] == 'unknown' then
  redis.call('ZADD', KEYS[2], e[3], ARGV[3])
  return {'ok', e[3]}
end
local now = now_ms()
if e[4] and e[4] ~= '' then
  redis.call('HSET', KEYS[1], 'state', 'completed', 'result', e[4], 'completed_ms', now, 'settled_by', 'event')
  return {'completed'}
end
redis.call('HSET', KEYS[1], 'state', 'unknown', 'reason', ARGV[2], 'marked_ms', now)
redis.call('ZADD', KEYS[2], now, ARGV[3])
return {'ok', now}
