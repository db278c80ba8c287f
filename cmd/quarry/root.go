package main

import (
	"fmt"
	"io"
	"strings"

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
			if err == nil {
				routeRedisLogs(a.log)
			}
			return err
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newVersionCommand(a), newLocalAWSCommand(a), newInfraCommand(a),
		newWorkerCommand(a), newPublishCommand(a), newDLQCommand(a), newBenchCommand(a),
		newFetchCommand(a), newExtractCommand(a), newDevCommand(a), newSuppressCommand(a), newEffectsCommand(a), newStatusCommand(a),
		newRedisCommand(a), newAutoscaleCommand(a), newAPICommand(a), newTokenCommand(a))
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(exitUsage, err) })
	strictGroups(root)
	return root
}

// strictGroups makes every command that only groups subcommands (quarry,
// quarry dlq...) refuse an unknown subcommand with exitUsage, naming the
// likely one; cobra alone prints the help and succeeds, which a script
// takes for a command that worked. Without arguments they print the help.
func strictGroups(c *cobra.Command) {
	for _, sub := range c.Commands() {
		strictGroups(sub)
	}
	if !c.HasSubCommands() || c.Run != nil || c.RunE != nil {
		return
	}
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if cmd.SuggestionsMinimumDistance <= 0 {
			cmd.SuggestionsMinimumDistance = 2
		}
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += fmt.Sprintf("; did you mean %s?", strings.Join(s, " or "))
		}
		var names []string
		for _, sub := range cmd.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		return usageErrorf("%s (it has: %s)", msg, strings.Join(names, ", "))
	}
}
