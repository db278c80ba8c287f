package extract

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/rs/zerolog"
	"github.com/xuri/excelize/v2"

	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
	"github.com/quarry-dev/quarry/messages"
)

// TestHandlerEndToEnd runs the handler with infra's S3 blob store and SNS
// publisher against the embedded AWS endpoint over HTTP: the PDF is read
// from S3, the tables land in S3 beside it, and the notify.email child
// arrives on the notify queue through the jobs topic's job_type filter.
func TestHandlerEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ep := localawstest.Start(t, localaws.Config{})
	clients := infra.NewClients(ep.Config)
	clients.S3 = ep.S3()
	topo := infra.DefaultTopology()
	topo.ConfigurationSet = "" // no mail is sent here
	res, err := infra.Apply(ctx, clients, topo)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	blobs := infra.NewBlobStore(clients.S3, "quarry-blobs")
	if err := blobs.EnsureBucket(ctx); err != nil {
		t.Fatalf("EnsureBucket: %v", err)
	}
	h, err := NewHandler(HandlerConfig{
		Blobs:     blobs,
		Publisher: infra.NewPublisher(clients.SNS, res.JobsTopicARN),
		Logger:    zerolog.New(zerolog.NewTestWriter(t)),
	})
	if err != nil {
		t.Fatal(err)
	}

	const pdfKey = "jobs/01J/doc.pdf"
	if err := blobs.Put(ctx, pdfKey, bytes.NewReader(libreOfficePDF(t, "multipage")), nil); err != nil {
		t.Fatalf("Put pdf: %v", err)
	}
	job := extractJob(t, messages.ExtractTables{
		PDFKey:  pdfKey,
		Formats: []string{"csv", "json", "xlsx"},
		Notify:  &messages.NotifyOptions{Recipients: []string{"ops@example.org"}, Template: "tables_ready"},
	})
	body, err := h.Handle(ctx, job)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	got := decodeResult(t, body)
	wantKeys := []string{"jobs/01J/doc.tables/t1.csv", "jobs/01J/doc.tables/tables.json", "jobs/01J/doc.tables/tables.xlsx"}
	if got.Tables != 1 || got.Pages != 3 || !reflect.DeepEqual(got.Keys, wantKeys) {
		t.Fatalf("result = %+v", got)
	}

	exp := expectedTables(t, "multipage")[0]
	if rows := readCSV(t, readBlob(t, blobs, wantKeys[0])); !reflect.DeepEqual(rows, exp) {
		t.Errorf("t1.csv has %d rows, want the stitched %d", len(rows), len(exp))
	}
	f, err := excelize.OpenReader(bytes.NewReader(readBlob(t, blobs, wantKeys[2])))
	if err != nil {
		t.Fatalf("tables.xlsx: %v", err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue("Table 1", "B2"); v != exp[1][1] {
		t.Errorf("tables.xlsx B2 = %q, want %q", v, exp[1][1])
	}

	// The child travels SNS → the notify queue (raw delivery) as the job.
	out, err := clients.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(res.Queues[infra.RoleNotify].URL), MaxNumberOfMessages: 10, WaitTimeSeconds: 5,
	})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("notify queue holds %d messages, want 1", len(out.Messages))
	}
	child, err := messages.DecodeJob([]byte(aws.ToString(out.Messages[0].Body)))
	if err != nil {
		t.Fatalf("DecodeJob: %v", err)
	}
	var n messages.NotifyEmail
	if err := child.DecodePayload(&n); err != nil {
		t.Fatal(err)
	}
	if child.ID != got.NotifyJobID || child.ParentID != job.ID || n.Template != "tables_ready" ||
		!reflect.DeepEqual(n.Attachments, []string{wantKeys[2], wantKeys[1], wantKeys[0]}) {
		t.Errorf("child %+v with payload %+v", child, n)
	}
	for _, k := range n.Attachments {
		readBlob(t, blobs, k) // every attachment is in the store
	}
	// A key S3 does not hold is a permanent failure naming it.
	_, err = h.Handle(ctx, extractJob(t, messages.ExtractTables{PDFKey: "jobs/01J/missing.pdf"}))
	if !messages.IsPermanent(err) || !strings.Contains(err.Error(), `"jobs/01J/missing.pdf" is not in the blob store`) {
		t.Errorf("missing pdf: err = %v, want a permanent error naming the key", err)
	}

	var doc struct {
		PageCount int `json:"page_count"`
	}
	if err := json.Unmarshal(readBlob(t, blobs, wantKeys[1]), &doc); err != nil || doc.PageCount != 3 {
		t.Errorf("tables.json page_count = %d, %v", doc.PageCount, err)
	}
}

func readBlob(t testing.TB, b *infra.BlobStore, key string) []byte {
	t.Helper()
	rc, err := b.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get %s: %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s: %v", key, err)
	}
	return data
}
