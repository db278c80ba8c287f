package main

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/spf13/cobra"

	"github.com/quarry-dev/quarry/internal/apiauth"
)

func newTokenCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Mint API tokens for development and tests",
	}
	var (
		sub, keyFile, kid string
		perms             []string
		ttl               time.Duration
	)
	issue := &cobra.Command{
		Use:   "issue --sub SUBJECT [--perm PERMISSION]...",
		Short: "Print a signed JWT for the HTTP API",
		Long: `issue prints a JWT for SUBJECT with the issuer and audience the API checks
(QUARRY_API_ISSUER, QUARRY_API_AUDIENCE). It is signed with --key (a PEM RSA
or EC private key: RS256 or ES256, with --kid naming its key in the JWKS),
or else with QUARRY_API_HS256_SECRET (HS256, development only).

--perm limits the token to those permissions (its "scope"); the API still
grants only what the permission source gives the subject.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ac, err := loadAPIConfig()
			if err != nil {
				return withExitCode(exitUsage, err)
			}
			var key any
			switch {
			case keyFile != "":
				if key, err = readSigningKey(keyFile); err != nil {
					return withExitCode(exitUsage, err)
				}
			case ac.HS256Secret != "":
				key = []byte(ac.HS256Secret)
			default:
				return usageErrorf("give --key (a PEM private key) or set QUARRY_API_HS256_SECRET (development)")
			}
			if ac.Issuer == "" {
				return usageErrorf("set QUARRY_API_ISSUER to the issuer the API checks")
			}
			tok, err := apiauth.Mint(apiauth.MintOptions{Issuer: ac.Issuer, Audience: ac.Audience, Subject: sub, Scope: perms, TTL: ttl, Key: key, KeyID: kid})
			if err != nil {
				return withExitCode(exitUsage, err)
			}
			fmt.Fprintln(a.stdout, tok)
			return nil
		},
	}
	issue.Flags().StringVar(&sub, "sub", "", "the token's subject (required)")
	issue.Flags().StringArrayVar(&perms, "perm", nil, "a permission the token is limited to (repeat; default: whatever the source grants)")
	issue.Flags().DurationVar(&ttl, "ttl", time.Hour, "how long the token is valid")
	issue.Flags().StringVar(&keyFile, "key", "", "PEM RSA or EC private key to sign with (default: QUARRY_API_HS256_SECRET)")
	issue.Flags().StringVar(&kid, "kid", "", "the key's id in the JWKS (the token's kid header)")
	_ = issue.MarkFlagRequired("sub")
	cmd.AddCommand(issue)
	return cmd
}

// readSigningKey reads a PEM RSA or EC private key.
func readSigningKey(path string) (any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the signing key: %w", err)
	}
	if k, err := jwt.ParseRSAPrivateKeyFromPEM(raw); err == nil {
		return k, nil
	}
	if k, err := jwt.ParseECPrivateKeyFromPEM(raw); err == nil {
		return k, nil
	}
	if b, _ := pem.Decode(raw); b != nil {
		if _, err := x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
			return nil, errors.New("the signing key is PKCS#8 of a kind other than RSA or EC")
		}
	}
	return nil, fmt.Errorf("%s is not a PEM RSA or EC private key", path)
}
