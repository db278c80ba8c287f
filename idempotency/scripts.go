package idempotency

import (
	_ "embed"

	"github.com/redis/go-redis/v9"
)

// The protocol lives in Lua so that each check and the write that depends on
// it happen atomically on the server. Every script is prepended with
// prelude.lua. redis.Script runs them with EVALSHA and falls back to EVAL
// (which caches the script) when the server does not know the hash yet, so
// each script crosses the wire once per server.
//
// The claim scripts touch only keys of one job, which share the Redis
// Cluster hash tag {<key>}. The effect scripts that can leave an effect
// unknown, or settle one, also write the unknown-effects index, and
// AttemptEffect reads the epoch record, in the same script: they need a
// Redis whose scripts may touch any key (one primary); see keys.go.

var (
	//go:embed scripts/prelude.lua
	preludeLua string
	//go:embed scripts/claim.lua
	claimLua string
	//go:embed scripts/extend.lua
	extendLua string
	//go:embed scripts/complete.lua
	completeLua string
	//go:embed scripts/claim_batch.lua
	claimBatchLua string
	//go:embed scripts/complete_batch.lua
	completeBatchLua string
	//go:embed scripts/release.lua
	releaseLua string
	//go:embed scripts/claim_effect.lua
	claimEffectLua string
	//go:embed scripts/complete_effect.lua
	completeEffectLua string
	//go:embed scripts/release_effect.lua
	releaseEffectLua string
	//go:embed scripts/mark_unknown.lua
	markUnknownLua string
	//go:embed scripts/resolve_effect.lua
	resolveEffectLua string
	//go:embed scripts/attempt_effect.lua
	attemptEffectLua string
	//go:embed scripts/observe_effect.lua
	observeEffectLua string
)

// scripts are the loaded protocol scripts. A redis.Script holds only its
// source and hash, so one set is shared by every Store and never changes.
var scripts = struct {
	claim, extend, complete, release           *redis.Script
	claimBatch, completeBatch                  *redis.Script
	claimEffect, completeEffect, releaseEffect *redis.Script
	attemptEffect, observeEffect               *redis.Script
	markUnknown, resolveEffect                 *redis.Script
}{
	claim:          newScript(claimLua),
	extend:         newScript(extendLua),
	complete:       newScript(completeLua),
	release:        newScript(releaseLua),
	claimBatch:     newScript(claimBatchLua),
	completeBatch:  newScript(completeBatchLua),
	claimEffect:    newScript(claimEffectLua),
	completeEffect: newScript(completeEffectLua),
	releaseEffect:  newScript(releaseEffectLua),
	markUnknown:    newScript(markUnknownLua),
	resolveEffect:  newScript(resolveEffectLua),
	attemptEffect:  newScript(attemptEffectLua),
	observeEffect:  newScript(observeEffectLua),
}

func newScript(body string) *redis.Script {
	return redis.NewScript(preludeLua + "\n" + body)
}
