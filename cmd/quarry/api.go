package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/internal/api"
	"github.com/quarry-dev/quarry/internal/apiauth"
	"github.com/quarry-dev/quarry/pipeline/suppression"
)

func newAPICommand(a *app) *cobra.Command {
	var addr, endpoint string
	cmd := &cobra.Command{
		Use:   "api",
		Short: "Serve the HTTP API, its console (/) and its documentation (/docs)",
		Long: `api serves the HTTP API: publish jobs, follow a job, read queue depths, peek,
redrive and delete dead letters, and keep the suppression list. The console
is at /, Swagger UI at /docs, the OpenAPI document at /openapi.yaml.

Callers present a bearer JWT (QUARRY_API_ISSUER, QUARRY_API_AUDIENCE; keys
from QUARRY_API_JWKS_FILE or QUARRY_API_JWKS_URL, or for development
QUARRY_API_HS256_SECRET); what a subject may do comes from
QUARRY_API_PERMISSIONS_FILE or QUARRY_API_PERMISSIONS_URL, cached in Redis
(QUARRY_REDIS_URL) for QUARRY_API_PERMISSIONS_TTL. SIGINT or SIGTERM stops
it after the requests in progress.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAPI(cmd.Context(), a, addr, endpoint)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().StringVar(&endpoint, "endpoint-url", "", "AWS endpoint (default: AWS_ENDPOINT_URL, else AWS)")

	revoke := &cobra.Command{
		Use:   "revoke SUBJECT",
		Short: "Drop a subject's cached permissions: its next request reads the permission source again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			rdb, err := infra.OpenRedis(ctx, a.cfg.RedisURL)
			if err != nil {
				return err
			}
			defer rdb.Close()
			if rdb.Embedded {
				return errors.New("the API's permission cache is in the fleet's Redis: set QUARRY_REDIS_URL")
			}
			had, err := apiauth.Revoke(ctx, rdb.Client, a.cfg.RedisPrefix, args[0])
			if err != nil {
				return err
			}
			if had {
				fmt.Fprintf(a.stdout, "revoked the cached permissions of %s: its next request reads the permission source\n", args[0])
			} else {
				fmt.Fprintf(a.stdout, "%s had no cached permissions: its next request reads the permission source\n", args[0])
			}
			return nil
		},
	}
	cmd.AddCommand(revoke)
	return cmd
}

// runAPI builds the server from the configuration and serves until ctx
// ends.
func runAPI(ctx context.Context, a *app, addr, endpoint string) error {
	ac, err := loadAPIConfig()
	if err != nil {
		return withExitCode(exitUsage, err)
	}
	src, err := ac.permissionSource()
	if err != nil {
		return withExitCode(exitUsage, err)
	}
	verifier, err := apiauth.NewVerifier(ctx, apiauth.VerifierConfig{Issuer: ac.Issuer, Audience: ac.Audience,
		JWKSFile: ac.JWKSFile, JWKSURL: ac.JWKSURL, HS256Secret: []byte(ac.HS256Secret), Leeway: ac.Leeway})
	if err != nil {
		return withExitCode(exitUsage, fmt.Errorf("QUARRY_API_*: %w", err))
	}
	if ac.HS256Secret != "" {
		a.log.Warn().Msg("the API accepts HS256 tokens signed with QUARRY_API_HS256_SECRET: for development only")
	}
	rdb, err := infra.OpenRedis(ctx, a.cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	if rdb.Embedded {
		a.log.Warn().Msg("QUARRY_REDIS_URL is not set: the API runs on an embedded Redis, with no claim records to report and permissions cached in this process only")
	}
	env, err := a.awsEnv(ctx, endpoint)
	if err != nil {
		return err
	}
	srv, err := newAPIServer(ctx, a, env, endpointOf(endpoint), rdb, ac, verifier, src)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return withExitCode(exitUsage, fmt.Errorf("listening on %s: %w", addr, err))
	}
	fmt.Fprintf(a.stderr, "quarry api: http://%s/ (console), /docs (API documentation)\n", ln.Addr())
	return serveAPI(ctx, a, ln, srv)
}

// newAPIServer wires the API to the fleet's Redis and AWS (endpoint is
// the SQS endpoint, empty on AWS): `quarry api` and `quarry dev` both
// serve it.
func newAPIServer(ctx context.Context, a *app, env *awsEnv, endpoint string, rdb *infra.Redis, ac apiConfig, verifier *apiauth.Verifier, src apiauth.Source) (*api.Server, error) {
	cache, err := apiauth.NewCache(apiauth.CacheConfig{Redis: rdb.Client, Prefix: a.cfg.RedisPrefix, Source: src, TTL: ac.PermissionsTTL})
	if err != nil {
		return nil, err
	}
	arn, err := env.jobsTopicARN(ctx)
	if err != nil {
		return nil, err
	}
	list, err := newSuppressionStore(a.cfg, rdb)
	if err != nil {
		return nil, err
	}
	cfg := api.Config{
		Verifier: verifier, Permissions: cache, Redis: rdb.Client, Prefix: a.cfg.RedisPrefix,
		RatePerMinute: ac.RatePerMinute, RateBurst: ac.RateBurst,
		SQS: env.clients.SQS, Topology: env.topology, Endpoint: endpoint,
		Publisher: infra.NewPublisher(env.clients.ForBulk().SNS, arn),
		Claims:    idempotency.NewStore(rdb.Client, a.cfg.RedisPrefix), Suppressions: list,
		MaxBodyBytes: ac.MaxBodyBytes, MaxBatch: ac.MaxBatch, Logger: a.log,
	}
	if a.cfg.SESMirrorSuppressions {
		ses := env.clients.SES
		cfg.Mirror = func(ctx context.Context, address string, r suppression.Reason, add bool) error {
			return infra.MirrorSuppression(ctx, ses, address, string(r), add)
		}
	}
	return api.New(cfg)
}

// serveAPI serves until ctx ends, then lets the requests in progress
// finish (10s at most).
func serveAPI(ctx context.Context, a *app, ln net.Listener, h http.Handler) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute}
	a.log.Info().Str("addr", ln.Addr().String()).Msg("api serving")
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("api server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	a.log.Info().Msg("api stopped")
	return err
}
