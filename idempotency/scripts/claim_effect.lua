-- ClaimEffect: KEYS[1] job record, KEYS[2] effect, KEYS[3] unknown-effects index.
-- ARGV[1] job owner token, ARGV[2] job fence, ARGV[3] effect token,
-- ARGV[4] effect TTL ms, ARGV[5] job key, ARGV[6] effect name,
-- ARGV[7] index member.
-- Returns {'acquired'} | {'acquired', 'taken_over'} | {'completed', result} |
-- {'in_progress'} | {'unknown', reason, marked_ms} | {refusal} from owner_check.
local s = owner_check(KEYS[1], ARGV[1], ARGV[2])
if s ~= 'ok' then
  return {s}
end
local e = redis.call('HMGET', KEYS[2], 'state', 'fence', 'result', 'reason', 'marked_ms', 'observed')
if e[1] == 'released' then
  -- Settled as not having happened: claimed afresh. The old fields go, so
  -- a late report of the settled attempt is told from this one's.
  redis.call('HDEL', KEYS[2], 'reason', 'marked_ms', 'attempt_ms', 'observed', 'result')
  e[1] = nil
end
if not e[1] then
  redis.call('HSET', KEYS[2], 'state', 'claimed', 'fence', ARGV[2], 'owner', ARGV[1],
    'token', ARGV[3], 'job', ARGV[5], 'name', ARGV[6], 'claimed_ms', now_ms())
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  return {'acquired'}
end
if e[1] == 'completed' then
  return {'completed', e[3] or ''}
end
if e[1] == 'unknown' then
  return {'unknown', e[4] or '', e[5] or '0'}
end
if e[2] == ARGV[2] then
  -- Held by this same lease (another goroutine of the same run).
  return {'in_progress'}
end
if e[1] == 'claimed' then
  -- An earlier owner claimed it but never attempted it: nothing left the
  -- worker, so this owner takes it over and performs it.
  redis.call('HSET', KEYS[2], 'fence', ARGV[2], 'owner', ARGV[1], 'token', ARGV[3],
    'claimed_ms', now_ms(), 'taken_over_from', e[2])
  return {'acquired', 'taken_over'}
end
-- attempting (or in_progress, as records written before the attempting
-- state say): an earlier owner started the request and never said how it
-- ended. It may or may not have happened. Never redo it blindly.
local now = now_ms()
if e[6] and e[6] ~= '' then
  -- The provider already reported it (an event observed while attempting).
  redis.call('HSET', KEYS[2], 'state', 'completed', 'result', e[6], 'completed_ms', now,
    'settled_by', 'event')
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  return {'completed', e[6]}
end
local reason = 'abandoned: attempted under fence ' .. e[2] .. ', whose owner never said how the request ended'
redis.call('HSET', KEYS[2], 'state', 'unknown', 'reason', reason, 'marked_ms', now)
redis.call('ZADD', KEYS[3], now, ARGV[7])
return {'unknown', reason, now}
