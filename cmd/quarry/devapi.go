package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/quarry-dev/quarry/internal/apiauth"
)

// devAPISubject is the one caller `quarry dev`'s API knows; it may do
// everything.
const devAPISubject = "dev"

// devTokenTTL is how long the token `quarry dev` prints stays valid.
const devTokenTTL = 24 * time.Hour

// devPermissions grants devAPISubject every permission and nobody else
// any.
type devPermissions struct{}

func (devPermissions) Permissions(_ context.Context, subject string) ([]string, error) {
	if subject == devAPISubject {
		return []string{apiauth.All}, nil
	}
	return nil, nil
}

// devAPI is the HTTP API `quarry dev` serves beside the fleet.
type devAPI struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

// startAPI serves the HTTP API, its console and /docs on --api-addr, with
// tokens signed by a secret made for this run: the one printed is the
// only one that works. A taken port is a warning, not a failure: the rest
// of the fleet runs without the API.
func (d *devRun) startAPI(ctx context.Context) error {
	if d.o.apiAddr == "" {
		return nil
	}
	ac, err := loadAPIConfig()
	if err != nil {
		return err
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	ac.Issuer, ac.HS256Secret, ac.JWKSFile, ac.JWKSURL = "quarry-dev", string(secret), "", ""
	verifier, err := apiauth.NewVerifier(ctx, apiauth.VerifierConfig{Issuer: ac.Issuer, Audience: ac.Audience,
		HS256Secret: secret, Leeway: ac.Leeway})
	if err != nil {
		return err
	}
	srv, err := newAPIServer(ctx, d.a, d.env, d.srv.URL(), d.rdb, ac, verifier, devPermissions{})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", d.o.apiAddr)
	if err != nil {
		d.a.log.Warn().Err(err).Msg("the HTTP API and its console are not served: --api-addr is taken (pass another, or --api-addr '' to go without)")
		return nil
	}
	token, err := apiauth.Mint(apiauth.MintOptions{Issuer: ac.Issuer, Audience: ac.Audience, Subject: devAPISubject, TTL: devTokenTTL, Key: secret})
	if err != nil {
		_ = ln.Close()
		return err
	}
	d.api = &devAPI{URL: "http://" + ln.Addr().String() + "/", Token: token}
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- serveAPI(sctx, d.a, ln, srv) }()
	d.closers = append(d.closers, func() {
		stop()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			d.a.log.Error().Err(err).Msg("stopping the HTTP API")
		}
	})
	fmt.Fprintf(d.view.out, "quarry dev: console %s#token=%s\n            API %sv1/, documentation %sdocs (the token is valid for %s)\n",
		d.api.URL, d.api.Token, d.api.URL, d.api.URL, devTokenTTL)
	if d.o.onAPI != nil {
		d.o.onAPI(*d.api)
	}
	return nil
}
