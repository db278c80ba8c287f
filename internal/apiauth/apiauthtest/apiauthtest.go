// Package apiauthtest gives tests an RSA signing key, its JWKS file and a
// verifier that trusts it, so API tests mint real RS256 tokens.
package apiauthtest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"

	"github.com/quarry-dev/quarry/internal/apiauth"
)

// The issuer, audience and key id of the tokens Keys mints.
const (
	Issuer   = "https://issuer.test"
	Audience = "quarry-api"
	KeyID    = "test-key-1"
)

// Keys is a signing key and the JWKS file that publishes its public half.
type Keys struct {
	Private  *rsa.PrivateKey
	JWKSFile string
}

// New generates a key and writes its JWKS file under t.TempDir().
func New(t testing.TB) *Keys {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := jwkset.NewJWKFromKey(&priv.PublicKey, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{ALG: jwkset.AlgRS256, KID: KeyID, USE: jwkset.UseSig}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{jwk.Marshal()}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return &Keys{Private: priv, JWKSFile: path}
}

// Verifier trusts the key's JWKS file, with the test issuer and audience.
func (k *Keys) Verifier(t testing.TB) *apiauth.Verifier {
	t.Helper()
	v, err := apiauth.NewVerifier(context.Background(), apiauth.VerifierConfig{Issuer: Issuer, Audience: Audience, JWKSFile: k.JWKSFile, Leeway: -1})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Token mints a valid RS256 token for subject, valid for an hour, limited
// to scope when given.
func (k *Keys) Token(t testing.TB, subject string, scope ...string) string {
	t.Helper()
	tok, err := apiauth.Mint(apiauth.MintOptions{Issuer: Issuer, Audience: Audience, Subject: subject, Scope: scope,
		TTL: time.Hour, Key: k.Private, KeyID: KeyID})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
