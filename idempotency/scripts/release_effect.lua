-- ReleaseEffect: KEYS[1] job record, KEYS[2] effect.
-- ARGV[1] job owner token, ARGV[2] job fence, ARGV[3] effect token.
-- Returns 'ok' | 'not_owner' | 'ended:<state>' | owner_check's refusal.
local s = owner_check(KEYS[1], ARGV[1], ARGV[2])
if s ~= 'ok' then
  return s
end
local e = redis.call('HMGET', KEYS[2], 'state', 'token')
if not e[1] then
  return 'ok'
end
if e[2] ~= ARGV[3] then
  return 'not_owner'
end
if e[1] == 'completed' or e[1] == 'unknown' then
  -- A completed effect happened; an unknown one is settled by its events,
  -- its quiet period or a person.
  return 'ended:' .. e[1]
end
redis.call('DEL', KEYS[2])
return 'ok'
