package sqs

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// Limits of messages and their attributes (reference §1.8, §1.9).
const (
	maxMessageSize       = 1 << 20 // 1 MiB: queue MaximumMessageSize ceiling and batch total
	maxMessageAttributes = 10
	maxAttrNameLen       = 256
	maxDataTypeLen       = 256
	traceHeaderAttr      = "AWSTraceHeader"
)

// msgState is where a stored message is in its lifecycle.
type msgState uint8

const (
	stateNone     msgState = iota // in no container (being moved or dropped)
	stateDelayed                  // sent, its delay not yet over
	stateVisible                  // can be received
	stateInflight                 // received, its visibility timeout running
)

// message is one stored copy of a message. A copy made by DuplicateRate is a
// separate message with the same MessageId and its own slot.
type message struct {
	slot uint64 // key in queue.msgs and in receipt handles
	seq  uint64 // order of arrival in the queue; FIFO order within a group

	id          string // MessageId
	body        string
	attrs       map[string]awsproto.MessageAttribute // never mutated once stored
	wireAttrs   msgAttrMap                           // attrs in wire form, made by the first receive of all of them; read-only
	traceHeader *string                              // AWSTraceHeader system attribute
	md5Body     string
	md5Attrs    string
	md5Sys      string

	groupID        string
	dedupID        string
	sequenceNumber string // FIFO only

	sentAt       time.Time // SentTimestamp
	enqueuedAt   time.Time // retention is measured from here
	receiveCount int       // ApproximateReceiveCount; also the sequence of the newest receipt handle
	firstReceive time.Time // ApproximateFirstReceiveTimestamp
	receivedAt   time.Time // the receive that issued the newest handle (12 h visibility cap)
	dlqSource    string    // DeadLetterQueueSourceArn
	duplicate    bool      // a copy handed out by DuplicateRate; never copied again

	state msgState
	due   time.Time // delayed: when it becomes visible; in flight: visibility deadline
	idx   int       // position in the heap holding it
	group *group    // FIFO only
}

// size is what counts against MaximumMessageSize: the body and every
// attribute's name, type and value.
func (m *message) size() int {
	return len(m.body) + attributesSize(m.attrs)
}

func attributesSize(attrs map[string]awsproto.MessageAttribute) int {
	n := 0
	for name, a := range attrs {
		n += len(name) + len(a.DataType) + len(a.BinaryValue)
		if a.StringValue != nil {
			n += len(*a.StringValue)
		}
	}
	return n
}

// validContent reports whether s holds only the characters SQS allows in
// bodies and attribute values: #x9 #xA #xD #x20–#xD7FF #xE000–#xFFFD
// #x10000–#x10FFFF, in valid UTF-8.
func validContent(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return false
		}
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
		i += n
	}
	return true
}

const msgInvalidCharacters = "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"

// convertMessageAttributes validates the user message attributes of a send and
// converts them to their stored form.
func convertMessageAttributes(in map[string]MessageAttributeValue) (map[string]awsproto.MessageAttribute, *awsproto.Error) {
	if len(in) == 0 {
		return nil, nil
	}
	if len(in) > maxMessageAttributes {
		return nil, errInvalidParameter("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(in), maxMessageAttributes)
	}
	out := make(map[string]awsproto.MessageAttribute, len(in))
	for name, v := range in {
		if e := validateAttributeName(name); e != nil {
			return nil, e
		}
		a, e := convertAttributeValue("Message (user) attribute", name, v)
		if e != nil {
			return nil, e
		}
		out[name] = a
	}
	return out, nil
}

func validateAttributeName(name string) *awsproto.Error {
	reason := ""
	lower := strings.ToLower(name)
	switch {
	case name == "":
		reason = "The message attribute name must not be empty."
	case len(name) > maxAttrNameLen:
		reason = "Message attribute names can be at most 256 characters long."
	case strings.HasPrefix(name, ".") || strings.HasSuffix(name, "."):
		reason = "Message attribute names must not start or end with a period (.)."
	case strings.Contains(name, ".."):
		reason = "Message attribute names must not contain successive periods (..)."
	case strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon."):
		reason = "Message attribute names starting with 'AWS.' or 'Amazon.' are reserved for use by Amazon."
	default:
		for i := 0; i < len(name); i++ {
			if c := name[i]; !isIDChar(c) && c != '.' {
				reason = "Message attribute names can only contain alphanumeric characters, hyphens (-), underscores (_) and periods (.)."
				break
			}
		}
	}
	if reason != "" {
		return errInvalidParameter("Message (user) attribute name '%s' is invalid. Reason: %s", name, reason)
	}
	return nil
}

// convertAttributeValue checks one attribute value against its DataType:
// String and Number carry a non-empty StringValue, Binary a non-empty
// BinaryValue; list values are reserved by AWS and refused.
func convertAttributeValue(kind, name string, v MessageAttributeValue) (awsproto.MessageAttribute, *awsproto.Error) {
	dt := v.DataType
	if dt == "" {
		return awsproto.MessageAttribute{}, errInvalidParameter("The message attribute '%s' must contain non-empty message attribute type.", name)
	}
	if len(dt) > maxDataTypeLen {
		return awsproto.MessageAttribute{}, errInvalidParameter("The message attribute '%s' has a data type longer than %d characters.", name, maxDataTypeLen)
	}
	base, _, _ := strings.Cut(dt, ".")
	if base != "String" && base != "Number" && base != "Binary" {
		return awsproto.MessageAttribute{}, errInvalidParameter("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
	}
	if len(v.StringListValues) > 0 || len(v.BinaryListValues) > 0 {
		return awsproto.MessageAttribute{}, errInvalidParameter("%s '%s': list values (StringListValues, BinaryListValues) are not supported.", kind, name)
	}
	if !validContent(dt) {
		return awsproto.MessageAttribute{}, errInvalidParameter("The data type of message attribute '%s' contains invalid characters.", name)
	}
	if base == "Binary" {
		if len(v.BinaryValue) == 0 {
			return awsproto.MessageAttribute{}, errInvalidParameter("%s '%s' must contain a non-empty value of type 'Binary'.", kind, name)
		}
		if v.StringValue != nil {
			return awsproto.MessageAttribute{}, errInvalidParameter("%s '%s' has type Binary and must not carry a StringValue.", kind, name)
		}
		return awsproto.MessageAttribute{DataType: dt, BinaryValue: v.BinaryValue}, nil
	}
	if v.StringValue == nil || *v.StringValue == "" {
		return awsproto.MessageAttribute{}, errInvalidParameter("%s '%s' must contain a non-empty value of type '%s'.", kind, name, base)
	}
	if v.BinaryValue != nil {
		return awsproto.MessageAttribute{}, errInvalidParameter("%s '%s' has type %s and must not carry a BinaryValue.", kind, name, base)
	}
	s := *v.StringValue
	if !validContent(s) {
		return awsproto.MessageAttribute{}, errInvalidParameter("%s '%s' contains invalid characters. %s", kind, name, msgInvalidCharacters)
	}
	if base == "Number" && !validNumber(s) {
		return awsproto.MessageAttribute{}, errInvalidParameter("Can't cast the value of message (user) attribute '%s' to a number.", name)
	}
	return awsproto.MessageAttribute{DataType: dt, StringValue: &s}, nil
}

// validNumber accepts what SQS takes as a Number attribute: an optionally
// signed decimal with at most 38 significant digits and an optional
// exponent.
func validNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits, dot := 0, false
	start := i
	for ; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			digits++
			continue
		}
		if c == '.' && !dot {
			dot = true
			continue
		}
		break
	}
	if digits == 0 || digits > 38 || i == start {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		expDigits := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			expDigits++
		}
		if expDigits == 0 || expDigits > 3 {
			return false
		}
	}
	return i == len(s)
}

// convertSystemAttributes validates the MessageSystemAttributes of a send: the
// only one SQS supports is AWSTraceHeader, a String.
func convertSystemAttributes(in map[string]MessageAttributeValue) (trace *string, md5Sys string, e *awsproto.Error) {
	if len(in) == 0 {
		return nil, "", nil
	}
	for name, v := range in {
		if name != traceHeaderAttr {
			return nil, "", errInvalidParameter("Message system attribute name '%s' is invalid. The only supported message system attribute is %s.", name, traceHeaderAttr)
		}
		if v.DataType != "String" {
			return nil, "", errInvalidParameter("Message system attribute '%s' must have the data type String.", name)
		}
		a, e := convertAttributeValue("Message system attribute", name, v)
		if e != nil {
			return nil, "", e
		}
		trace = a.StringValue
		md5Sys = md5OfAttributes(map[string]awsproto.MessageAttribute{name: a})
	}
	return trace, md5Sys, nil
}

// selectAttributes returns the message attributes a receive asked for with
// MessageAttributeNames: All or .* for all, name.* for a prefix (name.), or
// exact names. nil when none match.
func selectAttributes(attrs map[string]awsproto.MessageAttribute, patterns []string) map[string]awsproto.MessageAttribute {
	if len(attrs) == 0 || len(patterns) == 0 {
		return nil
	}
	for _, p := range patterns {
		if p == "All" || p == ".*" {
			return attrs
		}
	}
	var out map[string]awsproto.MessageAttribute
	for name, a := range attrs {
		for _, p := range patterns {
			match := p == name
			if prefix, ok := strings.CutSuffix(p, "*"); ok && strings.HasSuffix(prefix, ".") {
				match = match || strings.HasPrefix(name, prefix)
			}
			if match {
				if out == nil {
					out = make(map[string]awsproto.MessageAttribute)
				}
				out[name] = a
				break
			}
		}
	}
	return out
}

// toOutputAttributes converts stored attributes to their wire form.
func toOutputAttributes(attrs map[string]awsproto.MessageAttribute) msgAttrMap {
	if len(attrs) == 0 {
		return nil
	}
	out := make(msgAttrMap, len(attrs))
	for name, a := range attrs {
		out[name] = MessageAttributeValue{DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue}
	}
	return out
}
