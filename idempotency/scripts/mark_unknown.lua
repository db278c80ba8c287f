-- MarkEffectUnknown: KEYS[1] effect.
-- ARGV[1] effect token, ARGV[2] reason.
-- Returns {'ok', marked_ms} | {'effect_lost'} | {'not_owner'} |
-- {'ended:completed'}. The job lease is not checked: marking an effect
-- unknown only ever prevents a redo, so a stale owner may still do it.
local e = redis.call('HMGET', KEYS[1], 'state', 'token')
if not e[1] then
  return {'effect_lost'}
end
if e[2] ~= ARGV[1] then
  return {'not_owner'}
end
if e[1] == 'completed' then
  return {'ended:completed'}
end
local now = now_ms()
redis.call('HSET', KEYS[1], 'state', 'unknown', 'reason', ARGV[2], 'marked_ms', now)
return {'ok', now}
