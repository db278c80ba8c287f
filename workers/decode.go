package workers

import (
	"github.com/quarry-dev/quarry/messages"
)

// jobOf returns the job a decoded queue body carries: the job itself, or
// for an SES event the job [messages.SESEventJob] wraps it in, keyed for
// deduplication by the event's SNS message id. ok is false for bodies that
// carry no work (SES setup notices).
func jobOf(b messages.Body) (messages.Job, bool) {
	switch b.Kind {
	case messages.KindJob:
		return *b.Job, true
	case messages.KindSESEvent:
		return messages.SESEventJob(b), true
	}
	return messages.Job{}, false
}
