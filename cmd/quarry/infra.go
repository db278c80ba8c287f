package main

import (
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/quarry-dev/quarry/infra"
)

func newInfraCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "infra",
		Short: "Create and inspect Quarry's topics, queues and subscriptions",
	}
	var endpoint string
	apply := &cobra.Command{
		Use:   "apply",
		Short: "Create the topology idempotently on the endpoint AWS_ENDPOINT_URL names (localaws or AWS)",
		Long: `apply creates Quarry's SNS topics, SQS queues with their dead-letter queues
and redrive policies, the subscriptions that route jobs by job_type, and the
SES configuration set whose events return through SNS. Existing resources are
brought in line; running it twice changes nothing. With QUARRY_REDIS_URL set,
it also writes the fleet's Redis epoch record (and its copy in the blob
bucket), by which workers detect a Redis that lost its data.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := a.awsEnv(cmd.Context(), endpoint)
			if err != nil {
				return err
			}
			res, err := infra.Apply(cmd.Context(), env.clients, env.topology)
			if err != nil {
				return err
			}
			if err := printResources(a, res, env.topology.SenderIdentity); err != nil {
				return err
			}
			return applyEpoch(cmd.Context(), a, env)
		},
	}
	apply.Flags().StringVar(&endpoint, "endpoint-url", "", "AWS endpoint (default: AWS_ENDPOINT_URL, else AWS)")
	cmd.AddCommand(apply, newInfraRenderCommand(a), newInfraCheckCommand(a))
	return cmd
}

func printResources(a *app, res infra.Resources, identity string) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	if identity != "" {
		fmt.Fprintf(tw, "ses-identity\tnotify\t%s\n", identity)
	}
	fmt.Fprintf(tw, "topic\tjobs\t%s\n", res.JobsTopicARN)
	fmt.Fprintf(tw, "topic\tses-events\t%s\n", res.EventsTopicARN)
	roles := make([]string, 0, len(res.Queues))
	for r := range res.Queues {
		roles = append(roles, r)
	}
	slices.Sort(roles)
	for _, r := range roles {
		q := res.Queues[r]
		fmt.Fprintf(tw, "queue\t%s\t%s\n", r, q.URL)
		fmt.Fprintf(tw, "dlq\t%s\t%s\n", r, q.DLQURL)
	}
	return tw.Flush()
}
