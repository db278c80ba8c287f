-- Claim: KEYS[1] record.
-- ARGV[1] payload hash, ARGV[2] owner token, ARGV[3] lease TTL ms,
-- ARGV[4] record TTL ms (the retention of a claim not yet completed).
-- Returns claim_one's reply (see prelude.lua).
return claim_one(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], now_ms())
