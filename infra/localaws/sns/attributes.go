package sns

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// dataTypeStringArray is the SNS-only attribute type holding a JSON array.
const dataTypeStringArray = "String.Array"

// messageAttribute is one message attribute of a publish, in the order the
// request listed it (the envelope keeps that order).
type messageAttribute struct {
	Name        string
	DataType    string
	StringValue string // String, Number and String.Array
	BinaryValue []byte // Binary
	hasString   bool
	hasBinary   bool
}

// baseType is String, Number or Binary: the DataType without a custom
// suffix (Number.float) and String for String.Array.
func (a messageAttribute) baseType() string {
	base, _, _ := strings.Cut(a.DataType, ".")
	return base
}

// size is what the attribute counts towards the message size limit: name,
// type and value.
func (a messageAttribute) size() int {
	return len(a.Name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
}

// attributeNameRe is what an attribute name may hold; the rules on periods
// and reserved prefixes are checked apart.
var attributeNameRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)

func validAttributeName(name string) bool {
	if !attributeNameRe.MatchString(name) || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
		return false
	}
	lower := strings.ToLower(name)
	return !strings.HasPrefix(lower, "aws.") && !strings.HasPrefix(lower, "amazon.")
}

// checkMessageAttributes validates a publish's attributes; problems are
// ParameterValueInvalid, in AWS's words where they are known.
func checkMessageAttributes(attrs []messageAttribute) *awsproto.Error {
	seen := make(map[string]bool, len(attrs))
	for _, a := range attrs {
		if !validAttributeName(a.Name) {
			return errParameterValueInvalid("The message attribute name '%s' is invalid. Names are 1 to 256 letters, digits, hyphens, underscores and periods, do not start or end with a period or hold two in a row, and do not start with AWS. or Amazon.", a.Name)
		}
		if seen[a.Name] {
			return errParameterValueInvalid("The message attribute '%s' is listed more than once.", a.Name)
		}
		seen[a.Name] = true
		if a.DataType == "" {
			return errParameterValueInvalid("The message attribute '%s' must contain non-empty message attribute type.", a.Name)
		}
		base := a.baseType()
		if base != "String" && base != "Number" && base != "Binary" {
			return errParameterValueInvalid("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", a.Name)
		}
		if base == "Binary" {
			if a.hasString {
				return errParameterValueInvalid("The message attribute '%s' with type 'Binary' must use field 'Binary'.", a.Name)
			}
			if len(a.BinaryValue) == 0 {
				return errParameterValueInvalid("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", a.Name, a.DataType)
			}
			continue
		}
		if a.hasBinary {
			return errParameterValueInvalid("The message attribute '%s' with type '%s' must use field 'String'.", a.Name, base)
		}
		if a.StringValue == "" {
			return errParameterValueInvalid("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", a.Name, a.DataType)
		}
		switch {
		case a.DataType == dataTypeStringArray:
			var elems []any
			if decodeJSONNumbers(a.StringValue, &elems) != nil || elems == nil {
				return errParameterValueInvalid("The message attribute '%s' with type 'String.Array' must hold a JSON array.", a.Name)
			}
		case base == "Number":
			if _, err := strconv.ParseFloat(strings.TrimSpace(a.StringValue), 64); err != nil && !isRangeError(err) {
				return errParameterValueInvalid("Could not cast message attribute '%s' value to number.", a.Name)
			}
		}
	}
	return nil
}

// isRangeError reports whether a ParseFloat error is only about magnitude:
// such a number is still a number.
func isRangeError(err error) bool {
	return errors.Is(err, strconv.ErrRange)
}

// sqsAttributes converts a publish's attributes to SQS message attributes,
// as raw delivery passes them on.
func sqsAttributes(attrs []messageAttribute) map[string]awsproto.MessageAttribute {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]awsproto.MessageAttribute, len(attrs))
	for _, a := range attrs {
		ma := awsproto.MessageAttribute{DataType: a.DataType}
		if a.baseType() == "Binary" {
			ma.BinaryValue = a.BinaryValue
		} else {
			v := a.StringValue
			ma.StringValue = &v
		}
		out[a.Name] = ma
	}
	return out
}
