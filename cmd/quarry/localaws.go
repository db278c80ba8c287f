package main

import (
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarry-dev/quarry/infra/localaws"
)

func newLocalAWSCommand(a *app) *cobra.Command {
	var (
		cfg        localaws.Config
		errorRates string
		throttles  string
		latencies  string
	)
	cmd := &cobra.Command{
		Use:   "localaws",
		Short: "Run the embedded AWS endpoint (SQS, SNS, SES v2, S3) on its own",
		Long: `localaws serves SQS (AWS JSON 1.0 and query), SNS, SES v2 and S3 on one port,
for the AWS SDKs and the AWS CLI:

  quarry localaws --addr 127.0.0.1:4566 --state-dir ./.localaws
  aws --endpoint-url http://127.0.0.1:4566 sqs list-queues

Any credentials and region are accepted. With --state-dir, queues,
unacknowledged messages, topics, mail and objects survive a restart. Sent mail
is listed at /_localaws/mail, call counters at /_localaws/calls.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if cfg.Faults.ErrorRates, err = localaws.ParseRates(errorRates); err != nil {
				return fmt.Errorf("--fault-error: %w", err)
			}
			if cfg.Faults.Latencies, err = localaws.ParseLatencies(latencies); err != nil {
				return fmt.Errorf("--fault-latency-for: %w", err)
			}
			if cfg.Faults.ThrottleRates, err = localaws.ParseRates(throttles); err != nil {
				return fmt.Errorf("--fault-throttle: %w", err)
			}
			if host, _, err := net.SplitHostPort(cfg.Addr); err == nil {
				if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
					a.log.Warn().Str("addr", cfg.Addr).Msg("localaws is listening beyond loopback: anyone who reaches it can read and write its queues and mail")
				}
			}
			cfg.Logger = slogFor(a.log)
			srv, err := localaws.New(cfg)
			if err != nil {
				return err
			}
			a.log.Info().Str("url", srv.URL()).Str("state_dir", cfg.StateDir).Msg("localaws listening")
			fmt.Fprintln(a.stdout, srv.URL())
			<-cmd.Context().Done()
			a.log.Info().Msg("localaws stopping")
			return srv.Close()
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", "127.0.0.1:4566", "listen address (loopback unless you say otherwise)")
	f.StringVar(&cfg.StateDir, "state-dir", "", "keep state in this directory across restarts (default: memory only)")
	f.StringVar(&cfg.Region, "region", "us-east-1", "region used in ARNs")
	f.StringVar(&cfg.AccountID, "account", "000000000000", "12-digit account id used in ARNs and queue URLs")
	f.Float64Var(&cfg.SESMaxSendRate, "ses-send-rate", 14, "SES account send rate, recipients per second")
	f.Float64Var(&cfg.SESMax24HourSend, "ses-daily-quota", 50000, "SES 24-hour send quota (-1 unlimited)")
	f.DurationVar(&cfg.SQSDeletedRecentlyWindow, "sqs-deleted-recently", 0, "refuse re-creating a deleted queue name for this long (AWS: 60s)")
	f.DurationVar(&cfg.SQSPurgeInterval, "sqs-purge-interval", 0, "refuse a second purge of a queue within this long (AWS: 60s)")
	f.Float64Var(&cfg.Faults.DuplicateRate, "fault-duplicates", 0, "share of received SQS messages delivered twice (0-1)")
	f.StringVar(&errorRates, "fault-error", "", "answer a share of calls with 500s, e.g. ReceiveMessage=0.1,sqs.*=0.01")
	f.StringVar(&throttles, "fault-throttle", "", "answer a share of calls with throttling errors, e.g. SendEmail=0.5")
	f.DurationVar(&cfg.Faults.Latency, "fault-latency", 0*time.Millisecond, "latency added to every AWS call")
	f.StringVar(&latencies, "fault-latency-for", "", "latency of the calls named, replacing --fault-latency for them, e.g. ses.SendEmail=2s")
	return cmd
}
