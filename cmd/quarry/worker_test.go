package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
	"github.com/quarry-dev/quarry/internal/redistest"
	"github.com/quarry-dev/quarry/internal/samplesite"
	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/pipeline/fetch/recipes"
)

// TestWorkerRunsTheExtractRole drives `quarry worker --roles extract` end to
// end: a PDF in the blob bucket, an extract.tables job published through
// SNS, tables written beside the PDF, /metrics and /healthz served, and a
// clean exit on cancellation.
func TestWorkerRunsTheExtractRole(t *testing.T) {
	ctx := context.Background()
	ep := localawstest.Start(t, localaws.Config{})
	// The worker's keys go under the test's prefix, which the test's Redis
	// client removes when the test ends.
	t.Setenv("QUARRY_REDIS_URL", os.Getenv(redistest.EnvURL))
	t.Setenv("QUARRY_REDIS_PREFIX", redistest.Prefix(t))
	_ = redistest.Client(t)
	runQuarry(t, "infra", "apply", "--endpoint-url", ep.URL)

	pdf, err := os.ReadFile("../../pipeline/extract/testdata/libreoffice/bordered_grid.pdf")
	if err != nil {
		t.Fatal(err)
	}
	blobs := infra.NewBlobStore(ep.S3(), "quarry-blobs")
	if err := blobs.Put(ctx, "jobs/t1/doc.pdf", bytes.NewReader(pdf), nil); err != nil {
		t.Fatal(err)
	}
	runQuarry(t, "publish", "extract.tables", "--endpoint-url", ep.URL, "--payload", `{"pdf_key":"jobs/t1/doc.pdf","formats":["csv","json"]}`)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := ln.Addr().String()
	ln.Close()
	startWorker(t, "--roles", "extract", "--endpoint-url", ep.URL, "--metrics-addr", metricsAddr)

	var tables struct {
		Tables []struct {
			Rows [][]string `json:"rows"`
		} `json:"tables"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := ep.S3().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("quarry-blobs"), Key: aws.String("jobs/t1/doc.tables/tables.json")})
		if err == nil {
			err = json.NewDecoder(out.Body).Decode(&tables)
			out.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		var nsk interface{ ErrorCode() string }
		if !errors.As(err, &nsk) || nsk.ErrorCode() != "NoSuchKey" || time.Now().After(deadline) {
			t.Fatalf("waiting for tables.json: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(tables.Tables) != 1 || len(tables.Tables[0].Rows) != 21 {
		t.Fatalf("tables = %+v", tables)
	}
	for _, path := range []string{"/healthz", "/metrics"} {
		resp, err := http.Get("http://" + metricsAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		if path == "/metrics" && !bytes.Contains(body, []byte(fmt.Sprintf(`quarry_jobs_processed_total{job_type=%q,outcome="ok",queue="quarry-extract"} 1`, messages.TypeExtractTables))) {
			t.Fatalf("metrics lack the processed job:\n%s", body)
		}
	}
}

// TestWorkerFetchesAndExtracts runs `quarry worker --roles fetch,extract`
// against the sample records portal: a fetch.document job asking for tables
// ends with the PDF and its tables in the blob bucket.
func TestWorkerFetchesAndExtracts(t *testing.T) {
	ctx := context.Background()
	ep := localawstest.Start(t, localaws.Config{})
	t.Setenv("QUARRY_REDIS_URL", os.Getenv(redistest.EnvURL))
	t.Setenv("QUARRY_REDIS_PREFIX", redistest.Prefix(t))
	_ = redistest.Client(t)
	site := localPortal(t, 50*time.Millisecond)

	runQuarry(t, "infra", "apply", "--endpoint-url", ep.URL)
	rec := site.Records()[0]
	out := runQuarry(t, "publish", "fetch.document", "--endpoint-url", ep.URL, "--payload",
		fmt.Sprintf(`{"recipe":"local-records","key":%q,"extract":{"formats":["json"]}}`, rec.APINumber))
	jobID := strings.Fields(out)[2]

	startWorker(t, "--roles", "fetch,extract", "--endpoint-url", ep.URL, "--metrics-addr", "")
	key := "jobs/" + jobID + "/doc.tables/tables.json"
	deadline := time.Now().Add(40 * time.Second)
	for {
		obj, err := ep.S3().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("quarry-blobs"), Key: aws.String(key)})
		if err == nil {
			body, _ := io.ReadAll(obj.Body)
			obj.Body.Close()
			if !bytes.Contains(body, []byte(`"rows"`)) {
				t.Fatalf("tables.json: %s", body)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 40s: %v", key, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// startWorker runs `quarry worker` with args until the test ends, passing
// its log lines to the test log, and checks that it stops cleanly.
func startWorker(t *testing.T, args ...string) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		cmd := newRootCommand(io.Discard, logWriter{t})
		cmd.SetArgs(append([]string{"worker", "--soft-stop", "2s"}, args...))
		done <- cmd.ExecuteContext(ctx)
	}()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("quarry worker: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("quarry worker did not stop")
		}
	})
}

// logWriter passes the worker's log lines to the test log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// localPortal starts the sample records portal for the test, serving the
// spreadsheet corpus's PDFs each after delay (0: the portal's default),
// and points the recipe local-records (the sample recipe, renamed) at it:
// QUARRY_RECIPES_DIR holds it and private addresses are allowed. The
// portal stops when the test ends.
func localPortal(t *testing.T, delay time.Duration) *samplesite.Site {
	t.Helper()
	site, err := samplesite.New(samplesite.Config{Documents: os.DirFS("../../pipeline/extract/testdata/libreoffice"), DownloadDelay: delay})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(site)
	t.Cleanup(func() { _ = site.Close(); srv.Close() })
	sample, err := recipes.Sample()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	local := strings.Replace(strings.Replace(string(sample), "recipe: sample-records", "recipe: local-records", 1),
		"http://127.0.0.1:8484/WellData/", srv.URL+"/WellData/", 1)
	if err := os.WriteFile(filepath.Join(dir, "local.yaml"), []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("QUARRY_RECIPES_DIR", dir)
	t.Setenv("QUARRY_FETCH_ALLOW_PRIVATE", "true")
	return site
}
