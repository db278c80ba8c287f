-- ReleaseEffect: KEYS[1] job record, KEYS[2] effect.
-- ARGV[1] job owner token, ARGV[2] job fence, ARGV[3] effect token.
-- Returns 'ok' | 'not_owner' | 'ended:<state>' | owner_check's refusal.
local s, state = effect_check(KEYS[1], ARGV[1], ARGV[2], KEYS[2], ARGV[3])
if s ~= 'ok' or not state then
  return s
end
if state == 'completed' or state == 'unknown' then
  -- A completed effect happened; an unknown one is settled by its events,
  -- its quiet period or a person.
  return 'ended:' .. state
end
redis.call('DEL', KEYS[2])
return 'ok'
