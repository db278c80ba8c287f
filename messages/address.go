package messages

import "strings"

// NormalizeAddress returns the form of an email address that Quarry keys
// on (effect keys, the suppression list): trimmed and lower-cased. It
// refuses what is not a bare address with a top-level domain, with a
// [*ValidationError] on the field "address".
func NormalizeAddress(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if err := checkEmail("address", s); err != nil {
		return "", err
	}
	return s, nil
}
