package apiauth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// VerifierConfig says which tokens a [Verifier] accepts.
type VerifierConfig struct {
	// Issuer is the "iss" every token must carry. Required.
	Issuer string
	// Audience is an "aud" every token must carry. Required.
	Audience string
	// JWKSFile is a JSON Web Key Set file with the public keys (RS256,
	// ES256) tokens are signed with.
	JWKSFile string
	// JWKSURL is a JSON Web Key Set URL; its keys are refreshed in the
	// background, and an unknown kid triggers a refresh.
	JWKSURL string
	// HS256Secret verifies HS256 tokens: for development only. Exactly one
	// of JWKSFile, JWKSURL and HS256Secret is set.
	HS256Secret []byte
	// Leeway is the clock skew allowed on exp and nbf. Defaults to 30s;
	// -1 allows none.
	Leeway time.Duration
}

// Verifier checks bearer tokens. It is safe for concurrent use.
type Verifier struct {
	parser  *jwt.Parser
	keyfunc jwt.Keyfunc
}

// Algorithms a Verifier accepts: asymmetric ones from a JWKS, HS256 only
// from a configured secret. The two sets never mix, which is what keeps a
// token signed with HS256 over a public key out.
var (
	asymmetricMethods = []string{"RS256", "ES256"}
	hmacMethods       = []string{"HS256"}
)

// NewVerifier builds the verifier; with JWKSURL it fetches the key set
// first, and refreshes it until ctx ends.
func NewVerifier(ctx context.Context, cfg VerifierConfig) (*Verifier, error) {
	set := 0
	for _, on := range []bool{cfg.JWKSFile != "", cfg.JWKSURL != "", len(cfg.HS256Secret) > 0} {
		if on {
			set++
		}
	}
	switch {
	case cfg.Issuer == "":
		return nil, errors.New("apiauth: the token issuer is required")
	case cfg.Audience == "":
		return nil, errors.New("apiauth: the token audience is required")
	case set != 1:
		return nil, errors.New("apiauth: set exactly one of a JWKS file, a JWKS URL and (for development) an HS256 secret")
	case len(cfg.HS256Secret) > 0 && len(cfg.HS256Secret) < 32:
		return nil, errors.New("apiauth: the HS256 secret must be at least 32 bytes")
	}
	leeway := 30 * time.Second
	switch {
	case cfg.Leeway < 0:
		leeway = 0
	case cfg.Leeway > 0:
		leeway = cfg.Leeway
	}
	methods := asymmetricMethods
	var kf jwt.Keyfunc
	switch {
	case len(cfg.HS256Secret) > 0:
		methods = hmacMethods
		secret := cfg.HS256Secret
		kf = func(*jwt.Token) (any, error) { return secret, nil }
	case cfg.JWKSFile != "":
		raw, err := os.ReadFile(cfg.JWKSFile)
		if err != nil {
			return nil, fmt.Errorf("apiauth: reading the JWKS file: %w", err)
		}
		k, err := keyfunc.NewJWKSetJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("apiauth: the JWKS file %s: %w", cfg.JWKSFile, err)
		}
		kf = k.Keyfunc
	default:
		k, err := keyfunc.NewDefaultCtx(ctx, []string{cfg.JWKSURL})
		if err != nil {
			return nil, fmt.Errorf("apiauth: the JWKS at %s: %w", cfg.JWKSURL, err)
		}
		kf = k.Keyfunc
	}
	return &Verifier{
		parser: jwt.NewParser(
			jwt.WithValidMethods(methods),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithAudience(cfg.Audience),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(leeway),
		),
		keyfunc: kf,
	}, nil
}

// Claims are the claims Quarry reads from a token.
type Claims struct {
	jwt.RegisteredClaims
	// Scope, when present, narrows the subject's permissions to these
	// (space-separated).
	Scope string `json:"scope,omitempty"`
}

// Scopes returns the token's scope as a list; nil when the token has none.
func (c Claims) Scopes() []string {
	if strings.TrimSpace(c.Scope) == "" {
		return nil
	}
	return strings.Fields(c.Scope)
}

// ErrInvalidToken wraps every reason a token is refused.
var ErrInvalidToken = errors.New("apiauth: invalid token")

// Verify checks a token and returns its claims. Any failure is an error
// wrapping [ErrInvalidToken] that says why.
func (v *Verifier) Verify(token string) (Claims, error) {
	var c Claims
	if _, err := v.parser.ParseWithClaims(token, &c, v.keyfunc); err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.Subject == "" {
		return Claims{}, fmt.Errorf("%w: no subject (sub)", ErrInvalidToken)
	}
	return c, nil
}
