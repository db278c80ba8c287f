package sqs

import (
	"encoding/base64"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Receipt handles are opaque to clients. Inside they name the queue
// incarnation, the stored message and the receive that issued them, so that
// a handle can be checked for ownership (another queue's or a garbage
// handle is ReceiptHandleIsInvalid) and staleness (an older receive) without
// keeping every handle ever issued:
//
//	"AQEB" + base64url(queueID "|" slot "|" receive "|" random)
//
// The random part makes two handles of the same receive differ, as AWS's do.
const handlePrefix = "AQEB"

// receiptHandle identifies one receive of one stored message.
type receiptHandle struct {
	queueID string
	slot    uint64
	receive int
}

func encodeHandle(queueID string, slot uint64, receive int) string {
	raw := queueID + "|" + strconv.FormatUint(slot, 10) + "|" + strconv.Itoa(receive) + "|" + strconv.FormatUint(rand.Uint64(), 36)
	return handlePrefix + base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeHandle parses a receipt handle; ok is false for anything this
// endpoint did not issue.
func decodeHandle(h string) (receiptHandle, bool) {
	rest, ok := strings.CutPrefix(h, handlePrefix)
	if !ok {
		return receiptHandle{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return receiptHandle{}, false
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 4 || parts[0] == "" {
		return receiptHandle{}, false
	}
	slot, err1 := strconv.ParseUint(parts[1], 10, 64)
	receive, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || slot == 0 || receive < 1 {
		return receiptHandle{}, false
	}
	return receiptHandle{queueID: parts[0], slot: slot, receive: receive}, true
}
