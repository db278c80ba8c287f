package sqs

import (
	"net/url"
	"strings"
)

// Queue names: 1–80 characters of [A-Za-z0-9_-]; FIFO names end in .fifo,
// which counts toward the 80.
const (
	maxQueueNameLen = 80
	fifoSuffix      = ".fifo"
)

func validQueueName(name string, fifo bool) bool {
	if len(name) == 0 || len(name) > maxQueueNameLen {
		return false
	}
	base := name
	if fifo {
		var ok bool
		if base, ok = strings.CutSuffix(name, fifoSuffix); !ok || base == "" {
			return false
		}
	}
	for i := 0; i < len(base); i++ {
		if !isIDChar(base[i]) {
			return false
		}
	}
	return true
}

// isIDChar reports whether c may appear in a queue name or batch entry id.
func isIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// queueURL is the URL of a queue as the caller reaches this endpoint:
// scheme://host:port/account/name, so that clients which send requests to
// the queue URL's host (the JavaScript SDK does) come back here.
func (s *Service) queueURL(baseURL, name string) string {
	return strings.TrimSuffix(baseURL, "/") + "/" + s.cfg.AccountID + "/" + name
}

// queueARN is arn:aws:sqs:region:account:name.
func (s *Service) queueARN(name string) string {
	return "arn:aws:sqs:" + s.cfg.Region + ":" + s.cfg.AccountID + ":" + name
}

// nameFromURL returns the queue name a QueueUrl designates. Any scheme and
// host are accepted (queue URLs may carry another host than the one the
// request reached, or AWS's); the path is /account/name or just name, and a
// bare queue name is accepted as AWS does. ok is false when the URL names
// another account or is not a queue URL at all.
func (s *Service) nameFromURL(queueURL string) (name string, ok bool) {
	p := queueURL
	if strings.Contains(p, "://") {
		u, err := url.Parse(p)
		if err != nil {
			return "", false
		}
		p = u.Path
	}
	segs := strings.Split(strings.Trim(p, "/"), "/")
	switch len(segs) {
	case 1:
		name = segs[0]
	case 2:
		if segs[0] != s.cfg.AccountID {
			return "", false
		}
		name = segs[1]
	default:
		return "", false
	}
	return name, name != ""
}

// nameFromARN returns the queue name of an SQS queue ARN of this account.
// The region is not compared: the endpoint serves one set of queues whatever
// region a client signs for.
func (s *Service) nameFromARN(arn string) (name string, ok bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[4] != s.cfg.AccountID || parts[5] == "" {
		return "", false
	}
	return parts[5], true
}
