package apiauth_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/quarry-dev/quarry/internal/apiauth"
	"github.com/quarry-dev/quarry/internal/apiauth/apiauthtest"
)

// BadTokens are tokens every verifier of apiauthtest's key refuses, by
// name: the API tests send the same ones.
func badTokens(t *testing.T, k *apiauthtest.Keys) map[string]string {
	t.Helper()
	now := time.Now()
	sign := func(method jwt.SigningMethod, key any, c jwt.MapClaims) string {
		tok := jwt.NewWithClaims(method, c)
		tok.Header["kid"] = apiauthtest.KeyID
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": apiauthtest.Issuer, "aud": apiauthtest.Audience, "sub": "alice", "exp": now.Add(time.Hour).Unix(), "nbf": now.Add(-time.Minute).Unix()}
		mod(c)
		return c
	}
	pub, err := x509.MarshalPKIXPublicKey(&k.Private.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	return map[string]string{
		"expired":        sign(jwt.SigningMethodRS256, k.Private, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() })),
		"wrong audience": sign(jwt.SigningMethodRS256, k.Private, claims(func(c jwt.MapClaims) { c["aud"] = "someone-else" })),
		"wrong issuer":   sign(jwt.SigningMethodRS256, k.Private, claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.test" })),
		"not yet valid":  sign(jwt.SigningMethodRS256, k.Private, claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() })),
		"no expiry":      sign(jwt.SigningMethodRS256, k.Private, claims(func(c jwt.MapClaims) { delete(c, "exp") })),
		"no subject":     sign(jwt.SigningMethodRS256, k.Private, claims(func(c jwt.MapClaims) { delete(c, "sub") })),
		"alg none":       sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(func(jwt.MapClaims) {})),
		// Algorithm confusion: HS256 keyed with the RSA public key, which
		// anyone can read from the JWKS.
		"HS256 with the RSA public key": sign(jwt.SigningMethodHS256, pubPEM, claims(func(jwt.MapClaims) {})),
		"another key":                   sign(jwt.SigningMethodRS256, apiauthtest.New(t).Private, claims(func(jwt.MapClaims) {})),
		"garbage":                       "not.a.token",
	}
}

func TestVerifierRefusesBadTokens(t *testing.T) {
	k := apiauthtest.New(t)
	v := k.Verifier(t)
	if c, err := v.Verify(k.Token(t, "alice", "dlq:read")); err != nil || c.Subject != "alice" || strings.Join(c.Scopes(), ",") != "dlq:read" {
		t.Fatalf("a good token: %+v, %v", c, err)
	}
	for name, tok := range badTokens(t, k) {
		t.Run(name, func(t *testing.T) {
			if c, err := v.Verify(tok); !errors.Is(err, apiauth.ErrInvalidToken) {
				t.Fatalf("got %+v, %v; want ErrInvalidToken", c, err)
			}
		})
	}
}

func TestVerifierHS256OnlyWhenConfigured(t *testing.T) {
	secret := []byte(strings.Repeat("s", 32))
	v, err := apiauth.NewVerifier(context.Background(), apiauth.VerifierConfig{Issuer: "i", Audience: "a", HS256Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := apiauth.Mint(apiauth.MintOptions{Issuer: "i", Audience: "a", Subject: "dev", TTL: time.Minute, Key: secret})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(tok); err != nil {
		t.Fatalf("HS256 token with the configured secret: %v", err)
	}
	// An RS256 token is refused by an HS256 verifier, and vice versa.
	k := apiauthtest.New(t)
	rs, err := apiauth.Mint(apiauth.MintOptions{Issuer: "i", Audience: "a", Subject: "dev", TTL: time.Minute, Key: k.Private})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(rs); err == nil {
		t.Fatal("an HS256 verifier accepted an RS256 token")
	}
	if _, err := k.Verifier(t).Verify(tok); err == nil {
		t.Fatal("a JWKS verifier accepted an HS256 token")
	}
	for name, cfg := range map[string]apiauth.VerifierConfig{
		"short secret": {Issuer: "i", Audience: "a", HS256Secret: []byte("short")},
		"both":         {Issuer: "i", Audience: "a", HS256Secret: secret, JWKSFile: k.JWKSFile},
		"neither":      {Issuer: "i", Audience: "a"},
		"no issuer":    {Audience: "a", JWKSFile: k.JWKSFile},
		"no audience":  {Issuer: "i", JWKSFile: k.JWKSFile},
	} {
		if _, err := apiauth.NewVerifier(context.Background(), cfg); err == nil {
			t.Errorf("%s: configuration accepted", name)
		}
	}
}
