package main

import (
	"io"

	"github.com/spf13/cobra"
)

// app carries what every subcommand needs: configuration and the logger,
// built once in the root command and passed down (never global).
type app struct {
	cfg    Config
	stdout io.Writer
	stderr io.Writer
	log    Logger
}

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	a := &app{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "quarry",
		Short: "Quarry: an event-driven queue worker fleet (SNS → SQS → idempotent workers)",
		Long: `Quarry fans jobs out from SNS topics to SQS queues, where idempotent workers
fetch PDFs behind session-gated forms, extract their tables, mail the results
through SES and turn SES bounces and complaints into a suppression list.

Configuration comes from QUARRY_* environment variables (see the README);
AWS settings (AWS_REGION, AWS_ENDPOINT_URL, credentials) as the AWS SDK reads them.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			a.cfg = cfg
			a.log, err = newLogger(cfg, stderr)
			return err
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newVersionCommand(a), newLocalAWSCommand(a), newInfraCommand(a),
		newWorkerCommand(a), newPublishCommand(a), newDLQCommand(a), newBenchCommand(a),
		newFetchCommand(a), newExtractCommand(a), newDevCommand(a), newSuppressCommand(a), newEffectsCommand(a), newStatusCommand(a),
		newRedisCommand(a), newAutoscaleCommand(a))
	return root
}
