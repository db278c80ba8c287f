package apiauth

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MintOptions describe a token to issue (`quarry token issue`).
type MintOptions struct {
	Issuer, Audience, Subject string
	// Scope is the permissions the token is limited to; empty: whatever
	// the permission source grants the subject.
	Scope []string
	// TTL is how long the token is valid. Required.
	TTL time.Duration
	// Key signs the token: []byte for HS256, *rsa.PrivateKey for RS256,
	// *ecdsa.PrivateKey for ES256.
	Key any
	// KeyID is the "kid" header: the JWKS key that verifies the token.
	KeyID string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Mint signs a token.
func Mint(o MintOptions) (string, error) {
	if o.Subject == "" || o.Issuer == "" || o.Audience == "" {
		return "", errors.New("apiauth: a token needs a subject, an issuer and an audience")
	}
	if o.TTL <= 0 {
		return "", errors.New("apiauth: a token needs a positive lifetime")
	}
	var method jwt.SigningMethod
	switch k := o.Key.(type) {
	case []byte:
		if len(k) < 32 {
			return "", errors.New("apiauth: the HS256 secret must be at least 32 bytes")
		}
		method = jwt.SigningMethodHS256
	case *rsa.PrivateKey:
		method = jwt.SigningMethodRS256
	case *ecdsa.PrivateKey:
		method = jwt.SigningMethodES256
	default:
		return "", fmt.Errorf("apiauth: cannot sign with a %T", o.Key)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	t := now()
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: o.Issuer, Subject: o.Subject, Audience: jwt.ClaimStrings{o.Audience},
			IssuedAt: jwt.NewNumericDate(t), NotBefore: jwt.NewNumericDate(t), ExpiresAt: jwt.NewNumericDate(t.Add(o.TTL)),
		},
		Scope: strings.Join(o.Scope, " "),
	}
	tok := jwt.NewWithClaims(method, c)
	if o.KeyID != "" {
		tok.Header["kid"] = o.KeyID
	}
	s, err := tok.SignedString(o.Key)
	if err != nil {
		return "", fmt.Errorf("apiauth: signing the token: %w", err)
	}
	return s, nil
}
