package main

import (
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/pipeline/extract"
	"github.com/quarry-dev/quarry/workers"
)

// role is one kind of worker: the job type it takes, how its stage is
// built, and (through the topology, by the role's name) the queue it
// consumes. `quarry worker` and `quarry dev` both wire stages from this
// table, so a stage is wired in one place.
type role struct {
	name    string
	jobType string
	build   func(stageDeps) (stage, error)
}

// roles are the stages built into this binary, in pipeline order.
var roles = []role{
	{name: infra.RoleFetch, jobType: messages.TypeFetchDocument, build: buildFetchStage},
	{name: infra.RoleExtract, jobType: messages.TypeExtractTables, build: buildExtractStage},
	{name: infra.RoleNotify, jobType: messages.TypeNotifyEmail, build: buildNotifyStage},
	{name: infra.RoleSESEvents, jobType: messages.TypeSESEvent, build: buildSESEventsStage},
}

// findRole returns the role called name.
func findRole(name string) (role, error) {
	for _, r := range roles {
		if r.name == name {
			return r, nil
		}
	}
	return role{}, fmt.Errorf("unknown role %q (roles: %s)", name, strings.Join(roleNames(), ", "))
}

func roleNames() []string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.name
	}
	return names
}

// stageDeps are what stage handlers are built from.
type stageDeps struct {
	env          *awsEnv
	jobsTopicARN string
	bucket       string
	redis        *infra.Redis
	claims       *idempotency.Store
	guard        *epochGuard
	registry     prometheus.Registerer
	cfg          Config
	log          Logger
	// sites point recipes at other base URLs by the name jobs give
	// (`quarry dev` serves the sample portal on several loopback hosts).
	sites []recipeSite
}

// recipeSite runs the recipe Recipe under the name Name against BaseURL.
type recipeSite struct {
	Name, Recipe, BaseURL string
}

// stage is what a role runs: its handler, and a gate that holds the role's
// receives while the stage cannot work (nil: never).
type stage struct {
	handler workers.Handler
	gate    workers.Gate
}

func buildExtractStage(d stageDeps) (stage, error) {
	h, err := extract.NewHandler(extract.HandlerConfig{
		Blobs:     infra.NewBlobStore(d.env.clients.S3, d.bucket),
		Publisher: infra.NewPublisher(d.env.clients.SNS, d.jobsTopicARN),
		Logger:    d.log,
	})
	return stage{handler: h}, err
}

func buildFetchStage(d stageDeps) (stage, error) {
	h, err := newFetchHandler(d)
	if err != nil {
		return stage{}, err
	}
	return stage{handler: h}, nil
}

func buildNotifyStage(d stageDeps) (stage, error) {
	h, err := newNotifyHandler(d)
	if err != nil {
		return stage{}, err
	}
	return stage{handler: h, gate: h.Gate()}, nil
}

func buildSESEventsStage(d stageDeps) (stage, error) {
	h, err := newSESEventsHandler(d)
	if err != nil {
		return stage{}, err
	}
	return stage{handler: h}, nil
}
