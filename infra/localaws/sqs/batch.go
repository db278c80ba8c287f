package sqs

import "github.com/quarry-dev/quarry/infra/localaws/awsproto"

// Batch limits (reference §1.14).
const (
	maxBatchEntries = 10
	maxBatchIDLen   = 80
)

// checkBatch applies the whole-request checks of a batch: 1 to 10 entries,
// each Id 1–80 characters of [A-Za-z0-9_-], no Id twice. entryShape names
// the entry type in the empty-batch message.
func checkBatch(ids []string, entryShape string) *awsproto.Error {
	switch {
	case len(ids) == 0:
		return errEmptyBatch(entryShape)
	case len(ids) > maxBatchEntries:
		return errTooManyEntries(len(ids))
	}
	for _, id := range ids {
		if !validBatchID(id) {
			return errInvalidBatchEntryID()
		}
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return errBatchIDsNotDistinct(id)
		}
		seen[id] = true
	}
	return nil
}

func validBatchID(id string) bool {
	if id == "" || len(id) > maxBatchIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !isIDChar(id[i]) {
			return false
		}
	}
	return true
}

// failedEntry reports one entry's error in a batch answer.
func failedEntry(id string, e *awsproto.Error) BatchResultErrorEntry {
	return BatchResultErrorEntry{Id: id, SenderFault: !e.Server, Code: e.Code, Message: e.Message}
}
