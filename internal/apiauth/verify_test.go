package apiauth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/internal/apiauth"
	"github.com/quarry-dev/quarry/internal/apiauth/apiauthtest"
)

func TestVerifierRefusesBadTokens(t *testing.T) {
	k := apiauthtest.New(t)
	v := k.Verifier(t)
	if c, err := v.Verify(k.Token(t, "alice", "dlq:read")); err != nil || c.Subject != "alice" || strings.Join(c.Scopes(), ",") != "dlq:read" {
		t.Fatalf("a good token: %+v, %v", c, err)
	}
	for name, tok := range apiauthtest.BadTokens(t, k) {
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
