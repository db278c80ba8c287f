package sns

import (
	"regexp"
	"strings"
)

// Topic names (reference §3.1): 1 to 256 of [A-Za-z0-9_-]; a FIFO topic's
// name ends in .fifo, which counts towards the 256.
var (
	topicNameRe     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	fifoTopicNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,251}\.fifo$`)
)

// validTopicName reports whether name is a valid standard (fifo false) or
// FIFO topic name.
func validTopicName(name string, fifo bool) bool {
	if fifo {
		return fifoTopicNameRe.MatchString(name)
	}
	return topicNameRe.MatchString(name)
}

// arnParts splits arn:partition:service:region:account:resource. The
// resource keeps any further colons (a subscription ARN is its topic's ARN
// and a UUID). ok is false when the string is not shaped like an ARN of
// service.
func arnParts(arn, service string) (region, account, resource string, ok bool) {
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[1] == "" || p[2] != service || p[3] == "" || p[4] == "" || p[5] == "" {
		return "", "", "", false
	}
	return p[3], p[4], p[5], true
}

// topicNameFromARN returns the topic name of a topic ARN; ok is false when
// arn is not a well-formed topic ARN.
func topicNameFromARN(arn string) (account, name string, ok bool) {
	_, account, name, ok = arnParts(arn, "sns")
	if !ok || strings.Contains(name, ":") {
		return "", "", false
	}
	if !validTopicName(name, strings.HasSuffix(name, ".fifo")) {
		return "", "", false
	}
	return account, name, true
}

// topicARNOfSubscription returns the topic part of a subscription ARN
// (<topic-arn>:<id>); ok is false when arn is not shaped like one.
func topicARNOfSubscription(arn string) (string, bool) {
	_, _, res, ok := arnParts(arn, "sns")
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(arn, ':')
	name, id, found := strings.Cut(res, ":")
	if !found || name == "" || id == "" || strings.Contains(id, ":") {
		return "", false
	}
	return arn[:i], true
}

// queueARN is a parsed SQS queue ARN.
type queueARN struct {
	ARN     string
	Account string
	Name    string
}

// fifo reports whether the queue is a FIFO queue, which its name tells.
func (q queueARN) fifo() bool { return strings.HasSuffix(q.Name, ".fifo") }

// parseQueueARN reads an SQS queue ARN (arn:aws:sqs:region:account:name).
func parseQueueARN(arn string) (queueARN, bool) {
	_, account, name, ok := arnParts(arn, "sqs")
	if !ok || strings.Contains(name, ":") || len(name) > 80 {
		return queueARN{}, false
	}
	return queueARN{ARN: arn, Account: account, Name: name}, true
}
