package sqs

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// ServeJSON answers one AWS JSON 1.0 request; the result is marshalled with
// encoding/json. A nil result is written as {}.
func (s *Service) ServeJSON(call *awsproto.Call, body []byte) (any, *awsproto.Error) {
	o, ok := s.ops[call.Action]
	if !ok {
		return nil, errUnknownAction(call.Action)
	}
	return o.json(call, body)
}

// decodeJSON decodes an operation's JSON input. An empty body is an empty
// input (operations without members send {} or nothing); anything that is
// not a JSON object of the right member types is a SerializationException.
func decodeJSON[I any](body []byte) (*I, *awsproto.Error) {
	in := new(I)
	if len(bytes.TrimSpace(body)) == 0 {
		return in, nil
	}
	// encoding/json would turn invalid UTF-8 and lone surrogate escapes
	// into U+FFFD, a character SQS accepts, where SQS refuses the text.
	if !utf8.Valid(body) || hasLoneSurrogate(body) {
		return nil, errInvalidMessageContents(msgInvalidCharacters)
	}
	if err := json.Unmarshal(body, in); err != nil {
		return nil, errSerialization("The request body could not be decoded as the operation's JSON input: %v", err)
	}
	return in, nil
}

// hasLoneSurrogate reports whether JSON text escapes a UTF-16 surrogate
// (\uD800-\uDFFF) that is not half of a pair.
func hasLoneSurrogate(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			continue
		}
		if b[i+1] != 'u' {
			i++ // an escaped character, a backslash included
			continue
		}
		r, ok := hex4(b, i+2)
		if !ok {
			i++
			continue
		}
		switch {
		case r >= 0xD800 && r <= 0xDBFF:
			if i+11 < len(b)+0 && b[i+6] == '\\' && b[i+7] == 'u' {
				if lo, ok := hex4(b, i+8); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					i += 11
					continue
				}
			}
			return true
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		}
		i += 5
	}
	return false
}

// hex4 decodes the four hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}
