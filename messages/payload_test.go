package messages_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-dev/quarry/messages"
)

func TestPayloadValidation(t *testing.T) {
	t.Parallel()
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf("r%d@example.org", i)
	}
	for _, tc := range []struct {
		name    string
		payload interface{ Validate() error }
		field   string // "" means valid
	}{
		{"fetch ok", fetch, ""},
		{"fetch minimal", messages.FetchDocument{Recipe: "r", Key: "k"}, ""},
		{"fetch no recipe", messages.FetchDocument{Key: "k"}, "payload.recipe"},
		{"fetch bad recipe", messages.FetchDocument{Recipe: "County Permits", Key: "k"}, "payload.recipe"},
		{"fetch no key", messages.FetchDocument{Recipe: "r"}, "payload.key"},
		{"fetch key control", messages.FetchDocument{Recipe: "r", Key: "a\x00"}, "payload.key"},
		{"fetch bad variable", messages.FetchDocument{Recipe: "r", Key: "k", Variables: map[string]string{"from date": "x"}}, `payload.variables["from date"]`},
		{"fetch long variable", messages.FetchDocument{Recipe: "r", Key: "k", Variables: map[string]string{"v": strings.Repeat("x", 4097)}}, `payload.variables["v"]`},
		{"fetch notify without extract", messages.FetchDocument{Recipe: "r", Key: "k", Notify: fetch.Notify}, "payload.notify"},
		{"fetch bad format", messages.FetchDocument{Recipe: "r", Key: "k", Extract: &messages.ExtractOptions{Formats: []string{"pdf"}}}, "payload.extract.formats[0]"},
		{"fetch bad pages", messages.FetchDocument{Recipe: "r", Key: "k", Extract: &messages.ExtractOptions{Pages: "0"}}, "payload.extract.pages"},
		{"fetch bad notify template", messages.FetchDocument{Recipe: "r", Key: "k", Extract: &messages.ExtractOptions{}, Notify: &messages.NotifyOptions{Recipients: []string{"a@example.org"}, Template: "a b"}}, "payload.notify.template"},

		{"extract ok", messages.ExtractTables{PDFKey: "jobs/x/doc.pdf", Pages: "2-", Formats: []string{"xlsx"}}, ""},
		{"extract no key", messages.ExtractTables{}, "payload.pdf_key"},
		{"extract absolute key", messages.ExtractTables{PDFKey: "/etc/passwd"}, "payload.pdf_key"},
		{"extract dotdot key", messages.ExtractTables{PDFKey: "jobs/../x.pdf"}, "payload.pdf_key"},
		{"extract twice csv", messages.ExtractTables{PDFKey: "a.pdf", Formats: []string{"csv", "csv"}}, "payload.formats[1]"},
		{"extract bad notify", messages.ExtractTables{PDFKey: "a.pdf", Notify: &messages.NotifyOptions{Template: "t"}}, "payload.notify.recipients"},

		{"notify ok", messages.NotifyEmail{Recipients: []string{"a@example.org", "b@example.org"}, Template: "t", Attachments: []string{"jobs/x/t.csv"}, Subject: "Tables"}, ""},
		{"notify display name", messages.NotifyEmail{Recipients: []string{"Jane <jane@example.org>"}, Template: "t"}, "payload.recipients[0]"},
		{"notify no tld", messages.NotifyEmail{Recipients: []string{"root@localhost"}, Template: "t"}, "payload.recipients[0]"},
		{"notify too many", messages.NotifyEmail{Recipients: many, Template: "t"}, "payload.recipients"},
		{"notify no template", messages.NotifyEmail{Recipients: []string{"a@example.org"}}, "payload.template"},
		{"notify two-line subject", messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "t", Subject: "a\r\nBcc: x@example.org"}, "payload.subject"},
		{"notify long subject", messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "t", Subject: strings.Repeat("s", 999)}, "payload.subject"},
		{"notify bad attachment", messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "t", Attachments: []string{""}}, "payload.attachments[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.payload.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid payload: %v", err)
				}
				return
			}
			var ve *messages.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Fatalf("got %v, want a ValidationError on %s", err, tc.field)
			}
		})
	}
}

func TestParsePages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		want    []messages.PageRange
		wantErr bool
	}{
		{"", nil, false},
		{"  ", nil, false},
		{"1", []messages.PageRange{{1, 1}}, false},
		{"1-3,5,8-", []messages.PageRange{{1, 3}, {5, 5}, {8, 0}}, false},
		{" 2 - 4 , 7 ", []messages.PageRange{{2, 4}, {7, 7}}, false},
		{"0", nil, true},
		{"-3", nil, true},
		{"3-1", nil, true},
		{"1,,2", nil, true},
		{"a-b", nil, true},
		{"1-2-3", nil, true},
		{"99999999999999999999", nil, true},
		{strings.Repeat("1,", 100) + "1", nil, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := messages.ParsePages(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParsePages(%q) error %v, want error %v", tc.in, err, tc.wantErr)
			}
			if !tc.wantErr && !slices.Equal(got, tc.want) {
				t.Fatalf("ParsePages(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
