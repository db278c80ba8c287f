package messages

// Internals the external tests compare: the fast and the general path of
// DecodeJob, and DecodeQueueBody's shape test.
var (
	DecodeJobFast    = decodeJobFast
	DecodeJobGeneral = decodeJobGeneral
)

// ShapeIsJob reports whether DecodeQueueBody's shape test takes data for a
// job (a JSON object without the top-level keys of an SNS envelope or an
// SES notification).
func ShapeIsJob(data []byte) bool {
	top, err := topLevel("body", data)
	return err == nil && !top.isEnvelope() && !top.eventType && !top.notificationType
}
