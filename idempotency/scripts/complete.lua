-- Complete: KEYS[1] record.
-- ARGV[1] owner token, ARGV[2] fence, ARGV[3] result, ARGV[4] retention ms.
-- Returns complete_one's reply (see prelude.lua).
return complete_one(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], now_ms())
