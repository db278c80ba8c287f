-- ObserveEffect: KEYS[1] effect, KEYS[2] unknown-effects index.
-- ARGV[1] the attempt's effect token named by the event ('' for any),
-- ARGV[2] evidence (the provider's message id), ARGV[3] effect TTL ms,
-- ARGV[4] index member.
-- Returns 'settled' (it was unknown: now completed) | 'late' (it had been
-- settled as not happened, and is now completed before anyone performed it
-- again) | 'observed' (still attempting: kept until its owner or the next
-- claim settles it) | 'completed' | 'claimed' | 'missing' | 'stale' (the
-- event names an earlier attempt than the effect's current one).
local e = redis.call('HMGET', KEYS[1], 'state', 'token')
if not e[1] then
  return 'missing'
end
if ARGV[1] ~= '' and e[2] ~= ARGV[1] then
  return 'stale'
end
if e[1] == 'completed' then
  return 'completed'
end
if e[1] == 'claimed' then
  return 'claimed'
end
if e[1] == 'released' then
  redis.call('HSET', KEYS[1], 'state', 'completed', 'result', ARGV[2], 'resolved_ms', now_ms(),
    'settled_by', 'late_event')
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 'late'
end
if e[1] == 'unknown' then
  redis.call('HSET', KEYS[1], 'state', 'completed', 'result', ARGV[2], 'resolved_ms', now_ms(),
    'settled_by', 'event')
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('ZREM', KEYS[2], ARGV[4])
  return 'settled'
end
redis.call('HSET', KEYS[1], 'observed', ARGV[2])
return 'observed'
