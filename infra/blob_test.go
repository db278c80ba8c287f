package infra

import (
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
)

// blobSetup starts localaws and returns a blob store on a fresh bucket,
// and the S3 client for looking at what the store wrote.
func blobSetup(t *testing.T) (*BlobStore, *s3.Client) {
	t.Helper()
	ep := localawstest.Start(t, localaws.Config{})
	c := ep.S3()
	b := NewBlobStore(c, "quarry-blobs")
	if err := b.EnsureBucket(t.Context()); err != nil {
		t.Fatalf("EnsureBucket: %v", err)
	}
	return b, c
}

func TestBlobStoreRoundTrip(t *testing.T) {
	t.Parallel()
	b, c := blobSetup(t)
	ctx := t.Context()
	for _, tc := range []struct {
		name, key, body, wantType string
		stream                    bool // hide Seek, as a streaming caller would
	}{
		{"seekable pdf", "jobs/01J/doc.pdf", "%PDF-1.7 body", "application/pdf", false},
		{"streamed csv", "jobs/01J/doc.tables/t1.csv", "a,b\n1,2\n", "text/csv; charset=utf-8", true},
		{"xlsx", "jobs/01J/doc.tables/tables.xlsx", "PK", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", false},
		{"unknown extension", "jobs/01J/blob", "x", "application/octet-stream", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tc.body)
			if tc.stream {
				body = io.MultiReader(body)
			}
			if err := b.Put(ctx, tc.key, body, map[string]string{"job-id": "01J"}); err != nil {
				t.Fatalf("Put: %v", err)
			}
			rc, err := b.Get(ctx, tc.key)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || string(got) != tc.body {
				t.Fatalf("Get body = %q, %v; want %q", got, err, tc.body)
			}
			head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("quarry-blobs"), Key: aws.String(tc.key)})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if got := aws.ToString(head.ContentType); got != tc.wantType {
				t.Errorf("content type = %q, want %q", got, tc.wantType)
			}
			if got := head.Metadata["job-id"]; got != "01J" {
				t.Errorf("metadata = %v, want job-id 01J", head.Metadata)
			}
		})
	}
}

func TestBlobStorePutOverwrites(t *testing.T) {
	t.Parallel()
	b, _ := blobSetup(t)
	ctx := t.Context()
	for _, body := range []string{"first", "second"} {
		if err := b.Put(ctx, "k.json", strings.NewReader(body), nil); err != nil {
			t.Fatalf("Put %s: %v", body, err)
		}
	}
	rc, err := b.Get(ctx, "k.json")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, _ := io.ReadAll(rc); string(got) != "second" {
		t.Fatalf("got %q, want the second put", got)
	}
}

func TestBlobStoreMissingKeyIsNotExist(t *testing.T) {
	t.Parallel()
	b, _ := blobSetup(t)
	_, err := b.Get(t.Context(), "jobs/none/doc.pdf")
	if !errors.Is(err, ErrBlobNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want ErrBlobNotFound wrapping fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), "jobs/none/doc.pdf") {
		t.Fatalf("err = %v, want it to name the key", err)
	}
}

func TestBlobStoreMissingBucketIsNotNotFound(t *testing.T) {
	t.Parallel()
	ep := localawstest.Start(t, localaws.Config{})
	b := NewBlobStore(ep.S3(), "no-such-bucket")
	_, err := b.Get(t.Context(), "k")
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want a failure that is not a missing blob (a missing bucket is a configuration error)", err)
	}
}

func TestBlobStoreEnsureBucketTwice(t *testing.T) {
	t.Parallel()
	b, _ := blobSetup(t)
	if err := b.EnsureBucket(t.Context()); err != nil {
		t.Fatalf("second EnsureBucket: %v", err)
	}
}
