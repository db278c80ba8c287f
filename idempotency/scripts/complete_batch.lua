-- Complete many jobs at once: KEYS[i] is the record of job i;
-- ARGV[4i-3] owner token, ARGV[4i-2] fence, ARGV[4i-1] result and
-- ARGV[4i] retention ms of job i.
-- Returns one complete_one reply per job, in order.
local out = {}
local now = now_ms()
for i = 1, #KEYS do
  local a = 4 * (i - 1)
  out[i] = complete_one(KEYS[i], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], now)
end
return out
