-- AttemptEffect: KEYS[1] job record, KEYS[2] effect, KEYS[3] epoch record.
-- ARGV[1] job owner token, ARGV[2] job fence, ARGV[3] effect token,
-- ARGV[4] the epoch the caller expects ('' checks none).
-- Returns 'ok' | 'epoch:<what Redis holds>' | 'effect_lost' | 'not_owner' |
-- 'ended:<state>' | owner_check's refusal.
if ARGV[4] ~= '' then
  local ep = redis.call('GET', KEYS[3])
  if ep ~= ARGV[4] then
    return 'epoch:' .. (ep or '')
  end
end
local s, state = effect_check(KEYS[1], ARGV[1], ARGV[2], KEYS[2], ARGV[3])
if s ~= 'ok' then
  return s
end
if not state then
  return 'effect_lost'
end
if state == 'attempting' then
  return 'ok'
end
if state ~= 'claimed' then
  return 'ended:' .. state
end
redis.call('HSET', KEYS[2], 'state', 'attempting', 'attempt_ms', now_ms())
return 'ok'
