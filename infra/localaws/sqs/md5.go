package sqs

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// md5Hex is the lowercase hex MD5 of s, as MD5OfMessageBody / MD5OfBody.
func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Transport type bytes of the attribute digest.
const (
	md5TypeString = 1
	md5TypeBinary = 2
)

// md5OfAttributes is MD5OfMessageAttributes (and MD5OfMessageSystemAttributes)
// exactly as SQS computes it (reference §1.8): for each attribute in byte-wise
// name order, the length-prefixed name, the length-prefixed full DataType, then
// 1 and the length-prefixed UTF-8 string value, or 2 and the length-prefixed
// raw binary value; lengths are 4-byte big-endian. It returns "" for no
// attributes, when SQS leaves the digest out.
func md5OfAttributes(attrs map[string]awsproto.MessageAttribute) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	slices.Sort(names)
	h := md5.New()
	var buf []byte
	for _, n := range names {
		a := attrs[n]
		buf = buf[:0]
		buf = appendLenPrefixed(buf, []byte(n))
		buf = appendLenPrefixed(buf, []byte(a.DataType))
		if isBinaryType(a.DataType) {
			buf = append(buf, md5TypeBinary)
			buf = appendLenPrefixed(buf, a.BinaryValue)
		} else {
			buf = append(buf, md5TypeString)
			var s string
			if a.StringValue != nil {
				s = *a.StringValue
			}
			buf = appendLenPrefixed(buf, []byte(s))
		}
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func appendLenPrefixed(buf, b []byte) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(b)))
	return append(buf, b...)
}

// isBinaryType reports whether an attribute DataType (with or without a
// custom suffix, e.g. Binary.png) carries a binary value.
func isBinaryType(dataType string) bool {
	return dataType == "Binary" || strings.HasPrefix(dataType, "Binary.")
}
