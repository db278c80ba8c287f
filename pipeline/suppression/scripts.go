package suppression

import "github.com/redis/go-redis/v9"

// addScript adds a reason unless it is already in force, and appends the
// change to the audit stream in the same step.
//
// KEYS: record hash, index, audit stream.
// ARGV: reason, entry JSON, expiry (unix ms, 0 = none), now (unix ms),
// address, then the audit entry's field/value pairs.
// Returns 1 when added, 0 when the reason was already in force.
var addScript = redis.NewScript(`
local exp = redis.call('HGET', KEYS[1], 'x:' .. ARGV[1])
if exp then
  exp = tonumber(exp)
  if exp == 0 or exp > tonumber(ARGV[4]) then
    return 0
  end
end
redis.call('HSET', KEYS[1], 'r:' .. ARGV[1], ARGV[2], 'x:' .. ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[2], 'NX', ARGV[4], ARGV[5])
local fields = {}
for i = 6, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
fields[#fields + 1] = 'after'
fields[#fields + 1] = ARGV[2]
redis.call('XADD', KEYS[3], '*', unpack(fields))
return 1
`)

// removeScript removes a reason, drops the address from the index when no
// reason is left, and appends the change (with the removed entry) to the
// audit stream.
//
// KEYS: record hash, index, audit stream.
// ARGV: reason, address, then the audit entry's field/value pairs.
// Returns 1 when removed, 0 when the address did not hold the reason.
var removeScript = redis.NewScript(`
local before = redis.call('HGET', KEYS[1], 'r:' .. ARGV[1])
if not before then
  return 0
end
redis.call('HDEL', KEYS[1], 'r:' .. ARGV[1], 'x:' .. ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[2])
end
local fields = {}
for i = 3, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
fields[#fields + 1] = 'before'
fields[#fields + 1] = before
redis.call('XADD', KEYS[3], '*', unpack(fields))
return 1
`)
