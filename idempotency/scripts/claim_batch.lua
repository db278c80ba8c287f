-- Claim many jobs at once: KEYS[i] is the record of job i.
-- ARGV[1] lease TTL ms, ARGV[2] record TTL ms, then ARGV[2i+1] payload
-- hash and ARGV[2i+2] owner token of job i.
-- Returns one claim_one reply per job, in order. Jobs are claimed one
-- after the other, so a key given twice is acquired by its first request
-- and in progress for the second.
local out = {}
local now = now_ms()
for i = 1, #KEYS do
  out[i] = claim_one(KEYS[i], ARGV[2 * i + 1], ARGV[2 * i + 2], ARGV[1], ARGV[2], now)
end
return out
