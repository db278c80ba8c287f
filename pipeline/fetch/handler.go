package fetch

import (
	"context"
	"io"
)

// The fetch.document handler (wired once the worker runtime exists) stores
// the document and publishes extract.tables. These are the two small
// interfaces it needs; infra provides the implementations.

// BlobStore stores documents (S3 in production, localaws' S3 in dev).
type BlobStore interface {
	// Put stores body under key with metadata (recipe, recipe version,
	// final URL, sha256). Putting the same key twice overwrites, so a
	// retried job is harmless.
	Put(ctx context.Context, key string, body io.Reader, meta map[string]string) error
}

// Publisher publishes child jobs (SNS in production).
type Publisher interface {
	// Publish sends payload as a job of jobType with the given id; the same
	// id published twice is one job for its consumer.
	Publish(ctx context.Context, jobType, id string, payload []byte) error
}
