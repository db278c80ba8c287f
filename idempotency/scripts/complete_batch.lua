-- Complete many jobs at once: KEYS[2i-1] record and KEYS[2i] lease of
-- job i; ARGV[4i-3] owner token, ARGV[4i-2] fence, ARGV[4i-1] result and
-- ARGV[4i] retention ms of job i.
-- Returns one complete_one reply per job, in order.
local out = {}
local now = now_ms()
for i = 1, #KEYS / 2 do
  local a = 4 * (i - 1)
  out[i] = complete_one(KEYS[2 * i - 1], KEYS[2 * i], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], now)
end
return out
