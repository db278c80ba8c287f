package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
)

// unsubscriber builds the List-Unsubscribe header of each recipient
// (RFC 2369, and RFC 8058 one-click when a URL is configured).
type unsubscriber struct {
	mailto string // address of the mailto: link
	url    string // one-click base URL; "" for none
	key    []byte // signs the one-click links
}

// header returns the recipient's List-Unsubscribe: the signed one-click
// https link first when configured, then the mailto: link.
func (u unsubscriber) header(addr string) listUnsubscribe {
	var l listUnsubscribe
	if u.url != "" {
		q := url.Values{"address": {addr}, "sig": {UnsubscribeSignature(u.key, addr)}}
		l.uris = append(l.uris, u.url+"?"+q.Encode())
		l.oneClick = true
	}
	l.uris = append(l.uris, "mailto:"+u.mailto+"?subject=unsubscribe")
	return l
}

// UnsubscribeSignature is the sig parameter of the one-click unsubscribe
// link of address: the hex HMAC-SHA256 of the address under key. The
// endpoint that receives the POST recomputes it with
// [hmac.Equal] before it suppresses the address.
func UnsubscribeSignature(key []byte, address string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(address))
	return hex.EncodeToString(mac.Sum(nil))
}
