-- ResolveEffect: KEYS[1] effect, KEYS[2] unknown-effects index.
-- ARGV[1] '1' if the effect happened, '0' if not; ARGV[2] effect TTL ms;
-- ARGV[3] index member; ARGV[4] who settles it (person, quiet);
-- ARGV[5] for a settlement by quiet period, the latest marked_ms it may
-- settle ('' for none).
-- Returns 'ok' or why not: the effect's state when it is not unknown
-- ('missing' when there is none), 'observed' when an event reported it,
-- 'recent' when it was marked after ARGV[5].
local e = redis.call('HMGET', KEYS[1], 'state', 'marked_ms')
if e[1] ~= 'unknown' then
  if not e[1] then
    redis.call('ZREM', KEYS[2], ARGV[3])
  end
  return e[1] or 'missing'
end
if ARGV[5] ~= '' and tonumber(e[2] or '0') > tonumber(ARGV[5]) then
  return 'recent'
end
if ARGV[1] == '1' then
  redis.call('HSET', KEYS[1], 'state', 'completed', 'resolved_ms', now_ms(), 'settled_by', ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
else
  -- Did not happen: released, so the next claim performs it. The record
  -- stays (with its attempt token) so that a late report of the attempt
  -- can still say it did happen before the effect is performed again.
  redis.call('HSET', KEYS[1], 'state', 'released', 'released_ms', now_ms(), 'settled_by', ARGV[4])
end
redis.call('ZREM', KEYS[2], ARGV[3])
return 'ok'
