package main

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/quarry-dev/quarry/internal/apiauth"
)

// Config is Quarry's configuration, read from QUARRY_* environment variables.
// Every variable is listed in the README with its default.
type Config struct {
	// LogLevel is the minimum level logged: trace, debug, info, warn, error.
	LogLevel string `envconfig:"LOG_LEVEL" default:"info"`
	// LogFormat is json, console, or auto (console on a terminal, JSON
	// otherwise).
	LogFormat string `envconfig:"LOG_FORMAT" default:"auto"`
	// RedisURL is the Redis server for dedup keys, leases and rate limits;
	// empty means an embedded in-process Redis (dev only).
	RedisURL string `envconfig:"REDIS_URL"`
	// RedisPrefix starts every key Quarry writes, so fleets can share a
	// server.
	RedisPrefix string `envconfig:"REDIS_PREFIX" default:"quarry:"`
	// BlobBucket is the S3 bucket that holds fetched PDFs and extracted
	// tables.
	BlobBucket string `envconfig:"BLOB_BUCKET" default:"quarry-blobs"`
	// RecipesDir holds site recipes (*.yaml) beside the built-in ones.
	RecipesDir string `envconfig:"RECIPES_DIR"`
	// FetchAllowPrivate lets recipes reach loopback and private addresses
	// (development against the sample site only).
	FetchAllowPrivate bool `envconfig:"FETCH_ALLOW_PRIVATE" default:"false"`
	// NotifyFrom is the From of result mails ("Quarry <results@example.com>");
	// its domain is the SES identity `quarry infra apply` creates. Required
	// by the notify role.
	NotifyFrom string `envconfig:"NOTIFY_FROM"`
	// NotifyTemplatesDir holds mail templates (<name>.subject.tmpl,
	// <name>.txt.tmpl, <name>.html.tmpl) beside the built-in ones.
	NotifyTemplatesDir string `envconfig:"NOTIFY_TEMPLATES_DIR"`
	// NotifyUnsubscribeMailto is the List-Unsubscribe mailto: address
	// (default: the From address).
	NotifyUnsubscribeMailto string `envconfig:"NOTIFY_UNSUBSCRIBE_MAILTO"`
	// NotifyUnsubscribeURL adds a one-click https List-Unsubscribe link,
	// signed with NotifyUnsubscribeKey.
	NotifyUnsubscribeURL string `envconfig:"NOTIFY_UNSUBSCRIBE_URL"`
	NotifyUnsubscribeKey string `envconfig:"NOTIFY_UNSUBSCRIBE_KEY"`
	// NotifySendRateFraction is the share of SES's MaxSendRate the fleet
	// uses.
	NotifySendRateFraction float64 `envconfig:"NOTIFY_SEND_RATE_FRACTION" default:"0.85"`
	// NotifyUnknownQuiet is how long an unknown send waits for an SES event
	// that settles it as sent before it is settled as not sent and sent.
	NotifyUnknownQuiet time.Duration `envconfig:"NOTIFY_UNKNOWN_QUIET" default:"15m"`
	// NotifyUnknownSettle is auto (events, then the quiet period) or
	// person (events, then `quarry effects resolve`).
	NotifyUnknownSettle string `envconfig:"NOTIFY_UNKNOWN_SETTLE" default:"auto"`
	// Actor names who runs `quarry suppress` in the audit trail; empty means
	// $USER@hostname.
	Actor string `envconfig:"ACTOR"`
	// SuppressHashKey keys the HMAC that stands for an address in logs and
	// metrics.
	SuppressHashKey string `envconfig:"SUPPRESS_HASH_KEY"`
	// SESMirrorSuppressions copies hard-bounce and complaint suppressions
	// into SES's account-level suppression list (and removals out of it).
	SESMirrorSuppressions bool `envconfig:"SES_MIRROR_SUPPRESSIONS" default:"false"`
	// SoftBounceThreshold soft bounces of distinct messages within
	// SoftBounceWindow suppress an address.
	SoftBounceThreshold int           `envconfig:"SOFT_BOUNCE_THRESHOLD" default:"3"`
	SoftBounceWindow    time.Duration `envconfig:"SOFT_BOUNCE_WINDOW" default:"168h"`
}

func loadConfig() (Config, error) {
	var c Config
	if err := envconfig.Process("quarry", &c); err != nil {
		return Config{}, fmt.Errorf("reading QUARRY_* configuration: %w", err)
	}
	switch c.LogFormat {
	case "auto", "json", "console":
	default:
		return Config{}, fmt.Errorf("QUARRY_LOG_FORMAT=%q: want auto, json or console", c.LogFormat)
	}
	switch c.NotifyUnknownSettle {
	case "auto", "person":
	default:
		return Config{}, fmt.Errorf("QUARRY_NOTIFY_UNKNOWN_SETTLE=%q: want auto or person", c.NotifyUnknownSettle)
	}
	if c.NotifyUnknownQuiet <= 0 {
		return Config{}, fmt.Errorf("QUARRY_NOTIFY_UNKNOWN_QUIET=%v: want a positive duration", c.NotifyUnknownQuiet)
	}
	if c.NotifyFrom != "" {
		if _, err := mail.ParseAddress(c.NotifyFrom); err != nil {
			return Config{}, fmt.Errorf("QUARRY_NOTIFY_FROM=%q: %w", c.NotifyFrom, err)
		}
	}
	return c, nil
}

// senderIdentity is the SES identity mail from QUARRY_NOTIFY_FROM needs:
// its domain.
func (c Config) senderIdentity() string {
	a, err := mail.ParseAddress(c.NotifyFrom)
	if err != nil {
		return ""
	}
	return a.Address[strings.LastIndexByte(a.Address, '@')+1:]
}

// apiConfig is the HTTP API's configuration, from QUARRY_API_* variables;
// Redis (QUARRY_REDIS_URL, QUARRY_REDIS_PREFIX) and AWS come from the
// fleet's own. Every variable is in the README with its default.
type apiConfig struct {
	// Issuer and Audience are the iss and aud every token must carry.
	Issuer   string `envconfig:"ISSUER"`
	Audience string `envconfig:"AUDIENCE" default:"quarry-api"`
	// JWKSFile or JWKSURL publish the keys tokens are signed with (RS256,
	// ES256).
	JWKSFile string `envconfig:"JWKS_FILE"`
	JWKSURL  string `envconfig:"JWKS_URL"`
	// HS256Secret verifies (and `quarry token issue` signs) HS256 tokens:
	// development only, never beside a JWKS.
	HS256Secret string `envconfig:"HS256_SECRET"`
	// Leeway is the clock skew allowed on exp and nbf.
	Leeway time.Duration `envconfig:"LEEWAY" default:"30s"`
	// PermissionsFile (subject: [permissions]) or PermissionsURL (a
	// service answering GET ?subject=S) say what each subject may do.
	PermissionsFile string `envconfig:"PERMISSIONS_FILE"`
	PermissionsURL  string `envconfig:"PERMISSIONS_URL"`
	// PermissionsToken is sent to the permission service as a bearer token.
	PermissionsToken string `envconfig:"PERMISSIONS_TOKEN"`
	// PermissionsTTL is how long a subject's permissions stay cached in
	// Redis; `quarry api revoke` ends it early.
	PermissionsTTL time.Duration `envconfig:"PERMISSIONS_TTL" default:"5m"`
	// RatePerMinute and RateBurst limit each subject's requests.
	RatePerMinute int `envconfig:"RATE_PER_MINUTE" default:"600"`
	RateBurst     int `envconfig:"RATE_BURST" default:"60"`
	// MaxBodyBytes and MaxBatch bound a request.
	MaxBodyBytes int64 `envconfig:"MAX_BODY_BYTES" default:"1048576"`
	MaxBatch     int   `envconfig:"MAX_BATCH" default:"100"`
}

func loadAPIConfig() (apiConfig, error) {
	var c apiConfig
	if err := envconfig.Process("quarry_api", &c); err != nil {
		return apiConfig{}, fmt.Errorf("reading QUARRY_API_* configuration: %w", err)
	}
	return c, nil
}

// permissionSource is the configured source of permissions.
func (c apiConfig) permissionSource() (apiauth.Source, error) {
	switch {
	case c.PermissionsFile != "" && c.PermissionsURL != "":
		return nil, errors.New("set one of QUARRY_API_PERMISSIONS_FILE and QUARRY_API_PERMISSIONS_URL, not both")
	case c.PermissionsFile != "":
		return apiauth.FileSource{Path: c.PermissionsFile}, nil
	case c.PermissionsURL != "":
		return apiauth.HTTPSource{URL: c.PermissionsURL, Token: c.PermissionsToken}, nil
	}
	return nil, errors.New("say what each subject may do: set QUARRY_API_PERMISSIONS_FILE or QUARRY_API_PERMISSIONS_URL")
}
