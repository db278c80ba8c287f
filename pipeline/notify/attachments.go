package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/quarry-dev/quarry/messages"
)

// contentTypeOf returns the content type of an attachment by its
// extension: the types Quarry writes, and application/octet-stream for
// anything else.
func contentTypeOf(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".csv":
		return "text/csv; charset=UTF-8"
	case ".json":
		return "application/json"
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ".pdf":
		return "application/pdf"
	case ".txt":
		return "text/plain; charset=UTF-8"
	}
	return "application/octet-stream"
}

// refusedBySES reports whether SES refuses attachments with name's
// extension (executables and scripts, from SES's list of unsupported
// attachment types). SES rejects a message carrying one as a whole.
func refusedBySES(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".ade", ".adp", ".app", ".asp", ".bas", ".bat", ".cer", ".chm", ".cmd", ".com", ".cpl", ".crt",
		".csh", ".der", ".exe", ".fxp", ".gadget", ".hlp", ".hta", ".inf", ".ins", ".isp", ".its", ".js",
		".jse", ".ksh", ".lib", ".lnk", ".mad", ".maf", ".mag", ".mam", ".maq", ".mar", ".mas", ".mat",
		".mau", ".mav", ".maw", ".mda", ".mdb", ".mde", ".mdt", ".mdw", ".mdz", ".msc", ".msh", ".msh1",
		".msh2", ".mshxml", ".msh1xml", ".msh2xml", ".msi", ".msp", ".mst", ".ops", ".pcd", ".pif", ".plg",
		".prf", ".prg", ".ps1", ".ps1xml", ".ps2", ".ps2xml", ".psc1", ".psc2", ".reg", ".scf", ".scr",
		".sct", ".shb", ".shs", ".sys", ".tmp", ".url", ".vb", ".vbe", ".vbs", ".vps", ".vsmacros", ".vss",
		".vst", ".vsw", ".vxd", ".ws", ".wsc", ".wsf", ".wsh", ".xnk":
		return true
	}
	return false
}

// readAttachments reads the blobs at keys. A refused file type, a missing
// blob, and attachments too large for one message of limit bytes are
// permanent errors naming the file; other blob-store errors are returned
// as they are, to be retried.
func readAttachments(ctx context.Context, blobs BlobStore, keys []string, limit int64) ([]attachment, error) {
	for _, key := range keys {
		if name := path.Base(key); refusedBySES(name) {
			return nil, messages.Permanent(fmt.Errorf("notify: attachment %q: SES refuses %s files (executables and scripts); send %s another way", key, strings.ToLower(path.Ext(name)), name))
		}
	}
	// Base64 makes 3 bytes 4: no file over limit*3/4 bytes fits.
	maxRaw := limit / 4 * 3
	var out []attachment
	var total int64
	for _, key := range keys {
		data, err := readBlob(ctx, blobs, key, maxRaw+1)
		if err != nil {
			return nil, err
		}
		if int64(len(data)) > maxRaw {
			return nil, messages.Permanent(fmt.Errorf("notify: attachment %q is more than %d bytes, more than a message of at most %d bytes can carry in base64; attach a smaller file", key, maxRaw, limit))
		}
		out = append(out, attachment{key: key, name: path.Base(key), contentType: contentTypeOf(key), data: data})
		total += encodedSize(len(data))
		if total > limit {
			return nil, tooLarge(out, "at least ", total, limit)
		}
	}
	return out, nil
}

// readBlob reads at most max bytes of the blob at key.
func readBlob(ctx context.Context, blobs BlobStore, key string, max int64) ([]byte, error) {
	rc, err := blobs.Get(ctx, key)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, messages.Permanent(fmt.Errorf("notify: attachment %q is not in the blob store: %w", key, err))
		}
		return nil, fmt.Errorf("notify: reading attachment %q: %w", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, max))
	if err != nil {
		return nil, fmt.Errorf("notify: reading attachment %q: %w", key, err)
	}
	return data, nil
}

// tooLarge is the permanent error for a message over the limit: it names
// the largest attachment and the sizes, so the sender knows what to drop.
// qualifier is "" for an exact size or "at least " when reading stopped
// early.
func tooLarge(atts []attachment, qualifier string, total, limit int64) error {
	if len(atts) == 0 {
		return messages.Permanent(fmt.Errorf("notify: the message is %s%d bytes after encoding, over the limit of %d bytes", qualifier, total, limit))
	}
	largest := atts[0]
	for _, a := range atts[1:] {
		if len(a.data) > len(largest.data) {
			largest = a
		}
	}
	return messages.Permanent(fmt.Errorf(
		"notify: the message is %s%d bytes after encoding, over the limit of %d bytes: the largest attachment is %q, %d bytes (%d in base64), of %d attachments totalling %d bytes in base64; attach fewer or smaller files",
		qualifier, total, limit, largest.key, len(largest.data), encodedSize(len(largest.data)), len(atts), attachmentsEncodedSize(atts)))
}
