package sqs

import (
	"testing"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

func str(s string) awsproto.MessageAttribute {
	return awsproto.MessageAttribute{DataType: "String", StringValue: &s}
}

// TestMD5OfAttributesVectors checks the digest against the test vectors of
// the reference (§1.8), the first three recorded from real SQS.
func TestMD5OfAttributesVectors(t *testing.T) {
	t.Parallel()
	num := func(dt, s string) awsproto.MessageAttribute {
		return awsproto.MessageAttribute{DataType: dt, StringValue: &s}
	}
	tests := []struct {
		name  string
		attrs map[string]awsproto.MessageAttribute
		want  string
	}{
		{"two strings", map[string]awsproto.MessageAttribute{"General": str("Kenobi"), "Hello": str("There")}, "fca026605781cb4126a1e9044df24232"},
		{"three strings", map[string]awsproto.MessageAttribute{"General": str("Kenobi"), "Hello": str("There"), "Help.Me": str("Me")}, "4c360f3fdafd970e05fae2f149d997f5"},
		{"one string", map[string]awsproto.MessageAttribute{"MyAttribute": str("foobar")}, "adb59cd4678ea5a855436b949cd07ab6"},
		{"string with space", map[string]awsproto.MessageAttribute{"attribName1": str("attribValue 1")}, "19e27d4e946b072f3f58da80d94fd778"},
		{"custom number type", map[string]awsproto.MessageAttribute{"customNumberTypeAttrib": num("Number.float", "4563442423554324324264524243.32543234")}, "9fe1b90bbd9965bdf77bac517c7d2495"},
		{"binary", map[string]awsproto.MessageAttribute{"binaryAttribute": {DataType: "Binary", BinaryValue: []byte("Hello binary world!")}}, "31a92b15d92f8db860eda32aceb656c3"},
		{"job type", map[string]awsproto.MessageAttribute{"jobType": str("pdf-extract")}, "5415ebf34d04831dd7019c8319fe2622"},
		{"job type and attempt", map[string]awsproto.MessageAttribute{"jobType": str("pdf-extract"), "attempt": num("Number", "1")}, "b8a068eded0e60c3e5c86fd4d43a8bc0"},
	}
	for _, tt := range tests {
		if got := md5OfAttributes(tt.attrs); got != tt.want {
			t.Errorf("%s: md5OfAttributes = %s, want %s", tt.name, got, tt.want)
		}
	}
	if got := md5OfAttributes(nil); got != "" {
		t.Errorf("md5OfAttributes(nil) = %q, want empty", got)
	}
	if got, want := md5Hex("msg"), "6e2baaf3b97dbeef01c0043275f9a0e7"; got != want {
		t.Errorf("md5Hex(msg) = %s, want %s", got, want)
	}
}

func TestReceiptHandleRoundTrip(t *testing.T) {
	t.Parallel()
	h := encodeHandle("q1", 42, 3)
	got, ok := decodeHandle(h)
	if !ok || got != (receiptHandle{queueID: "q1", slot: 42, receive: 3}) {
		t.Fatalf("decodeHandle(%q) = %+v, %v", h, got, ok)
	}
	if h == encodeHandle("q1", 42, 3) {
		t.Error("two handles of the same receive are equal; want them to differ")
	}
	for _, bad := range []string{"", "garbage", "AQEB", "AQEB!!!", handlePrefix + "cTF8eHx5fHo", encodeHandle("q1", 0, 1), encodeHandle("q1", 1, 0)} {
		if _, ok := decodeHandle(bad); ok {
			t.Errorf("decodeHandle(%q) accepted", bad)
		}
	}
}

func TestValidNumber(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"1", "-1", "+1.5", "0.25", ".5", "5.", "1e10", "1.5E-7", "12345678901234567890123456789012345678"} {
		if !validNumber(ok) {
			t.Errorf("validNumber(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "-", ".", "e5", "1e", "1x", "abc", "1.2.3", "123456789012345678901234567890123456789", "1e1234"} {
		if validNumber(bad) {
			t.Errorf("validNumber(%q) = true", bad)
		}
	}
}
