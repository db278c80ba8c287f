package main

import (
	"errors"
	"slices"

	"github.com/spf13/cobra"

	"github.com/quarry-dev/quarry/infra"
)

func newInfraCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "infra",
		Short: "Create and inspect Quarry's topics, queues and subscriptions",
	}
	var endpoint string
	var asJSON bool
	apply := &cobra.Command{
		Use:   "apply",
		Short: "Create the topology idempotently on the endpoint AWS_ENDPOINT_URL names (localaws or AWS)",
		Long: `apply creates Quarry's SNS topics, SQS queues with their dead-letter queues
and redrive policies, the subscriptions that route jobs by job_type, and the
SES configuration set whose events return through SNS, and the unroutable
queue that keeps jobs whose job_type no stage takes (see quarry dlq list).
Existing resources are brought in line; running it twice changes nothing.
With QUARRY_REDIS_URL set, it also writes the fleet's Redis epoch record (and
its copy in the blob bucket), by which workers detect a Redis that lost its
data.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := a.awsEnv(cmd.Context(), endpoint)
			if err != nil {
				return err
			}
			// One call with the ordinary retries finds out soon whether
			// the endpoint answers at all; the rest ride out throttling.
			if _, err := infra.FindTopic(cmd.Context(), env.clients.SNS, env.topology.JobsTopic); err != nil && !errors.Is(err, infra.ErrTopicNotFound) {
				return err
			}
			res, err := infra.Apply(cmd.Context(), env.clients.ForBulk(), env.topology)
			if err != nil {
				return err
			}
			if err := printResources(a, res, env.topology.SenderIdentity, asJSON); err != nil {
				return err
			}
			return applyEpoch(cmd.Context(), a, env)
		},
	}
	apply.Flags().StringVar(&endpoint, "endpoint-url", "", "AWS endpoint (default: AWS_ENDPOINT_URL, else AWS)")
	apply.Flags().BoolVar(&asJSON, "json", false, "one JSON object per resource")
	cmd.AddCommand(apply, newInfraRenderCommand(a), newInfraCheckCommand(a))
	return cmd
}

// resourceRow is one line of `quarry infra apply`.
type resourceRow struct {
	Kind string `json:"kind"` // topic, queue, dlq, unroutable, ses-identity
	Role string `json:"role"`
	// Address is the ARN of a topic, the URL of a queue, the name of an
	// identity.
	Address string `json:"address"`
}

func resourceRows(res infra.Resources, identity string) []resourceRow {
	var rows []resourceRow
	if identity != "" {
		rows = append(rows, resourceRow{"ses-identity", "notify", identity})
	}
	rows = append(rows, resourceRow{"topic", "jobs", res.JobsTopicARN}, resourceRow{"topic", "ses-events", res.EventsTopicARN})
	roles := make([]string, 0, len(res.Queues))
	for r := range res.Queues {
		roles = append(roles, r)
	}
	slices.Sort(roles)
	for _, r := range roles {
		q := res.Queues[r]
		if q.DLQURL == q.URL {
			rows = append(rows, resourceRow{"unroutable", r, q.URL})
			continue
		}
		rows = append(rows, resourceRow{"queue", r, q.URL}, resourceRow{"dlq", r, q.DLQURL})
	}
	return rows
}

func printResources(a *app, res infra.Resources, identity string, asJSON bool) error {
	rows := resourceRows(res, identity)
	if asJSON {
		return writeJSONLines(a.stdout, rows)
	}
	t := newTable(a.stdout)
	for _, r := range rows {
		t.row(r.Kind, r.Role, r.Address)
	}
	return t.flush()
}
