package sqs

import (
	"bytes"
	"encoding/json"

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
	if err := json.Unmarshal(body, in); err != nil {
		return nil, errSerialization("The request body could not be decoded as the operation's JSON input: %v", err)
	}
	return in, nil
}
