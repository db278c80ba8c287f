package apiauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"

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

// TestVerifierReadsAJWKSURLWithES256Keys serves the key set over HTTP, as
// an identity provider does, with an EC key.
func TestVerifierReadsAJWKSURLWithES256Keys(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := jwkset.NewJWKFromKey(&priv.PublicKey, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{ALG: jwkset.AlgES256, KID: "ec-1", USE: jwkset.UseSig}})
	if err != nil {
		t.Fatal(err)
	}
	set, err := json.Marshal(jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{jwk.Marshal()}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(set)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v, err := apiauth.NewVerifier(ctx, apiauth.VerifierConfig{Issuer: "i", Audience: "a", JWKSURL: srv.URL + "/jwks.json"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := apiauth.Mint(apiauth.MintOptions{Issuer: "i", Audience: "a", Subject: "svc", TTL: time.Minute, Key: priv, KeyID: "ec-1"})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := v.Verify(tok); err != nil || c.Subject != "svc" {
		t.Fatalf("ES256 token from the JWKS URL: %+v, %v", c, err)
	}
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := apiauth.Mint(apiauth.MintOptions{Issuer: "i", Audience: "a", Subject: "svc", TTL: time.Minute, Key: other, KeyID: "ec-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(forged); !errors.Is(err, apiauth.ErrInvalidToken) {
		t.Fatalf("a token of another key under the same kid: %v", err)
	}
}
