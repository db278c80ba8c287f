// Package apiauthtest gives tests an RSA signing key, its JWKS file and a
// verifier that trusts it, so API tests mint real RS256 tokens.
package apiauthtest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

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

// BadTokens are tokens a verifier of k refuses, by what is wrong with
// them: expired, for another audience or issuer, not yet valid, without
// expiry or subject, "alg": "none", HS256 keyed with the RSA public key
// (algorithm confusion), signed by another key, not a JWT.
func BadTokens(t testing.TB, k *Keys) map[string]string {
	t.Helper()
	now := time.Now()
	sign := func(method jwt.SigningMethod, key any, c jwt.MapClaims) string {
		tok := jwt.NewWithClaims(method, c)
		tok.Header["kid"] = KeyID
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": Issuer, "aud": Audience, "sub": "alice", "exp": now.Add(time.Hour).Unix(), "nbf": now.Add(-time.Minute).Unix()}
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
		"another key":                   sign(jwt.SigningMethodRS256, New(t).Private, claims(func(jwt.MapClaims) {})),
		"garbage":                       "not.a.token",
	}
}
