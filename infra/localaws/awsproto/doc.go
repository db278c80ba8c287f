// Package awsproto holds the wire-level pieces that every service of the
// embedded AWS endpoint shares: the error shape and how it is written in each
// protocol (AWS JSON 1.0, query/XML, REST-JSON), query form decoding helpers,
// SigV4 credential-scope parsing and the per-request call context.
//
// It knows nothing of queues, topics or mail; the services under
// infra/localaws build on it.
package awsproto
