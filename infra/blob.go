package infra

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ErrBlobNotFound is returned by [BlobStore.Get] for a key that holds no
// object. It wraps [fs.ErrNotExist], so stages, which must not import infra,
// recognise it with errors.Is(err, fs.ErrNotExist).
var ErrBlobNotFound = fmt.Errorf("blob not found: %w", fs.ErrNotExist)

// BlobStore keeps documents and extraction outputs in one S3 bucket (real
// S3 in production, localaws' S3 in development and tests). It satisfies
// the BlobStore interfaces the pipeline stages declare. It is safe for
// concurrent use.
type BlobStore struct {
	s3     *s3.Client
	bucket string
}

// NewBlobStore returns a blob store on bucket. The client should use
// path-style addressing when it talks to localaws.
func NewBlobStore(c *s3.Client, bucket string) *BlobStore {
	return &BlobStore{s3: c, bucket: bucket}
}

// EnsureBucket creates the bucket unless it exists already and is ours.
// It is meant for `quarry dev` and tests; production buckets come from the
// infrastructure templates.
func (b *BlobStore) EnsureBucket(ctx context.Context) error {
	_, err := b.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b.bucket)})
	var owned *types.BucketAlreadyOwnedByYou
	if err == nil || errors.As(err, &owned) {
		return nil
	}
	var exists *types.BucketAlreadyExists
	if errors.As(err, &exists) {
		// S3 says BucketAlreadyExists when another account owns the name
		// but some S3-compatible servers say it for the caller's own
		// bucket: a HeadBucket that succeeds tells the two apart.
		if _, herr := b.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b.bucket)}); herr == nil {
			return nil
		}
	}
	return fmt.Errorf("creating bucket %s: %w", b.bucket, err)
}

// Get opens the object at key; the caller closes it. A missing object is
// [ErrBlobNotFound] (and so [fs.ErrNotExist]); other failures are wrapped
// SDK errors naming the key.
func (b *BlobStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := b.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(key)})
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			return nil, fmt.Errorf("getting s3://%s/%s: %w (%w)", b.bucket, key, ErrBlobNotFound, err)
		}
		return nil, fmt.Errorf("getting s3://%s/%s: %w", b.bucket, key, err)
	}
	return out.Body, nil
}

// Put stores body under key with user metadata meta, replacing any object
// there, so a retried job that writes the same key is harmless. The content
// type follows the key's extension (.pdf, .csv, .json, .xlsx; anything
// else is application/octet-stream). A body that is not an io.ReadSeeker
// is read into memory first: the SDK signs the payload, which needs a
// body it can rewind.
func (b *BlobStore) Put(ctx context.Context, key string, body io.Reader, meta map[string]string) error {
	rs, ok := body.(io.ReadSeeker)
	if !ok {
		data, err := io.ReadAll(body)
		if err != nil {
			return fmt.Errorf("putting s3://%s/%s: reading body: %w", b.bucket, key, err)
		}
		rs = bytes.NewReader(data)
	}
	_, err := b.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:      aws.String(b.bucket),
		Key:         aws.String(key),
		Body:        rs,
		ContentType: aws.String(contentType(key)),
		Metadata:    meta,
	})
	if err != nil {
		return fmt.Errorf("putting s3://%s/%s: %w", b.bucket, key, err)
	}
	return nil
}

// contentType returns the media type of a blob from its key's extension.
// The table is explicit rather than mime.TypeByExtension, whose answers
// depend on the host's mime.types files.
func contentType(key string) string {
	switch strings.ToLower(path.Ext(key)) {
	case ".pdf":
		return "application/pdf"
	case ".csv":
		return "text/csv; charset=utf-8"
	case ".json":
		return "application/json"
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	default:
		return "application/octet-stream"
	}
}
