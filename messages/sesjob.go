package messages

import "encoding/json"

// TypeSESEvent is the job type under which the worker runtime hands SES
// events to the ses-events stage. Such jobs are never published: the runtime
// builds one from each SES notification it receives (see [SESEventJob]).
const TypeSESEvent = "ses.event"

// SESEventJob wraps a decoded SES event in a job for the ses-events stage.
// Its idempotency key is the SNS MessageId of the notification (or, for a
// raw-delivered event, the event's feedback or mail id), so a notification
// delivered twice is handled once. The payload is the normalised
// [SESEvent]; decode it with [Job.DecodePayload].
func SESEventJob(b Body) Job {
	j := Job{Type: TypeSESEvent, Version: CurrentVersion}
	if b.SES != nil {
		j.Payload, _ = json.Marshal(b.SES)
	}
	switch {
	case b.SNS != nil && b.SNS.MessageID != "":
		j.ID = b.SNS.MessageID
		j.CreatedAt = b.SNS.Timestamp
	case b.SES != nil:
		j.ID = sesEventKey(b.SES)
	}
	j.IdempotencyKey = "ses:" + j.ID
	return j
}

// sesEventKey identifies an event that came without an SNS envelope.
func sesEventKey(e *SESEvent) string {
	id := e.Mail.MessageID + ":" + string(e.Kind)
	switch {
	case e.Bounce != nil && e.Bounce.FeedbackID != "":
		id = e.Bounce.FeedbackID
	case e.Complaint != nil && e.Complaint.FeedbackID != "":
		id = e.Complaint.FeedbackID
	}
	return id
}
