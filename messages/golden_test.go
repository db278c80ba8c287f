package messages_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-dev/quarry/messages"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/queue")

// TestDecodeQueueBodyGolden decodes every sample body in testdata/queue
// (*.json and *.txt) and compares the result, or the error, with the
// sample's .golden file. Run with -update to rewrite the goldens, then
// review the diff like code.
func TestDecodeQueueBodyGolden(t *testing.T) {
	t.Parallel()
	inputs := sampleBodies(t)
	if len(inputs) < 40 {
		t.Fatalf("found %d samples in testdata/queue, want at least 40", len(inputs))
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got := renderDecoded(t, string(body))
			goldenPath := strings.TrimSuffix(in, filepath.Ext(in)) + ".golden"
			if *update {
				if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("decoding %s:\ngot:\n%s\nwant:\n%s", in, got, want)
			}
			// Bad samples are named bad-*; everything else must decode.
			bad := strings.Contains(name, "bad-")
			if bad != bytes.HasPrefix(got, []byte("error: ")) {
				t.Errorf("sample %s: bad=%v but golden says:\n%s", name, bad, got)
			}
		})
	}
}

func sampleBodies(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"testdata/queue/*.json", "testdata/queue/*.txt"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	return out
}

// renderDecoded is the golden form of a decode: the Body as indented JSON,
// or the error text and its outcome. An envelope's Message is shown by size
// only: its content is the decoded job or event above it.
func renderDecoded(t *testing.T, body string) []byte {
	t.Helper()
	b, err := messages.DecodeQueueBody(body)
	if err != nil {
		return fmt.Appendf(nil, "error: %v\npermanent: %v\n", err, messages.IsPermanent(err))
	}
	if b.SNS != nil && b.Kind != messages.KindSESSetup {
		b.SNS.Message = fmt.Sprintf("(%d bytes, decoded above)", len(b.SNS.Message))
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(b); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
