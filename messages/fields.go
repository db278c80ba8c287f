package messages

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// Checks shared by the payload types. Each returns a *ValidationError for
// field, or nil.

const (
	maxRecipients  = 50 // SES's limit of recipients per message
	maxEmailLen    = 254
	maxTemplateLen = 64
	maxBlobKeyLen  = 1024 // S3's key limit
)

// checkRecipients requires 1 to 50 distinct bare email addresses
// ("jane@example.org", no display name). Distinct ignoring case, because a
// worker sends once per (job, recipient) and two spellings of one mailbox
// would get two mails.
func checkRecipients(field string, rcpts []string) error {
	if len(rcpts) == 0 {
		return &ValidationError{Field: field, Reason: "at least one recipient required"}
	}
	if len(rcpts) > maxRecipients {
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%d recipients, over the limit of %d", len(rcpts), maxRecipients)}
	}
	seen := make(map[string]int, len(rcpts))
	for i, r := range rcpts {
		// The element's field name is only spelled out for an error.
		if err := checkEmail(field, r); err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				ve.Field = fmt.Sprintf("%s[%d]", field, i)
			}
			return err
		}
		k := strings.ToLower(r)
		if j, dup := seen[k]; dup {
			return &ValidationError{Field: fmt.Sprintf("%s[%d]", field, i), Reason: fmt.Sprintf("same address as [%d] (compared ignoring case)", j)}
		}
		seen[k] = i
	}
	return nil
}

func checkEmail(field, s string) error {
	if s == "" {
		return &ValidationError{Field: field, Reason: "required"}
	}
	if len(s) > maxEmailLen {
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%d bytes, over the %d-byte limit of an address", len(s), maxEmailLen)}
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%q is not a bare email address (want local@domain.tld)", clip(s))}
	}
	at := strings.LastIndexByte(s, '@')
	if domain := s[at+1:]; !strings.Contains(domain, ".") || strings.HasSuffix(domain, ".") {
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%q has no top-level domain", clip(s))}
	}
	return nil
}

// checkTemplate requires a template name as SES accepts it: 1 to 64
// letters, digits, '_' and '-'.
func checkTemplate(field, name string) error {
	if name == "" {
		return &ValidationError{Field: field, Reason: "required"}
	}
	if len(name) > maxTemplateLen {
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%d bytes, over the %d-byte limit", len(name), maxTemplateLen)}
	}
	for _, c := range []byte(name) {
		if !isAlnum(c) && c != '_' && c != '-' {
			return &ValidationError{Field: field, Reason: fmt.Sprintf("%q may hold only letters, digits, '_' and '-'", clip(name))}
		}
	}
	return nil
}

// checkBlobKey requires a relative blob-store key: 1 to 1024 bytes, no
// leading '/', no ".." segment, no control characters.
func checkBlobKey(field, key string) error {
	switch {
	case key == "":
		return &ValidationError{Field: field, Reason: "required"}
	case len(key) > maxBlobKeyLen:
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%d bytes, over the %d-byte limit of a blob key", len(key), maxBlobKeyLen)}
	case strings.HasPrefix(key, "/"):
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%q starts with '/'; blob keys are relative", clip(key))}
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == ".." {
			return &ValidationError{Field: field, Reason: fmt.Sprintf("%q has a '..' segment", clip(key))}
		}
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return &ValidationError{Field: field, Reason: fmt.Sprintf("%q has a control or invalid character", clip(key))}
		}
	}
	return nil
}

// checkName requires a lower-case identifier such as a recipe name: 1 to 64
// of [a-z0-9._-], starting with a letter or digit.
func checkName(field, name string) error {
	if name == "" {
		return &ValidationError{Field: field, Reason: "required"}
	}
	if len(name) > 64 {
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%d bytes, over the 64-byte limit", len(name))}
	}
	for i, c := range []byte(name) {
		ok := (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '.' || c == '_' || c == '-'))
		if !ok {
			return &ValidationError{Field: field, Reason: fmt.Sprintf("%q may hold only a-z, 0-9, '.', '_' and '-', starting with a letter or digit", clip(name))}
		}
	}
	return nil
}

// checkText requires s to be at most maxLen bytes without control
// characters.
func checkText(field, s string, maxLen int, required bool) error {
	if s == "" {
		if required {
			return &ValidationError{Field: field, Reason: "required"}
		}
		return nil
	}
	if len(s) > maxLen {
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%d bytes, over the %d-byte limit", len(s), maxLen)}
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return &ValidationError{Field: field, Reason: fmt.Sprintf("%q contains a control character", clip(s))}
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}
