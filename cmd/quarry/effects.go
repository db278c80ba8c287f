package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
)

func newEffectsCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "effects",
		Short: "List and settle side effects whose outcome is unknown (emails that may have gone out)",
		Long: `A side effect is unknown when its request went out and no answer came back:
an SES SendEmail that timed out, or a worker killed inside it, may or may not
have sent the mail. Quarry never simply repeats it. SES's events for the
message (Send, Delivery, Bounce), which carry the send's effect tags, settle
it as sent through the ses-events stage; with QUARRY_NOTIFY_UNKNOWN_SETTLE=auto
(the default) a send no event names within QUARRY_NOTIFY_UNKNOWN_QUIET is
settled as not sent and its job, which waits in the queue meanwhile, sends
it. What is listed here is what is still waiting, and for what. With
QUARRY_NOTIFY_UNKNOWN_SETTLE=person, check (the SES events of the message,
the recipient) and settle each: --happened records it as done;
--not-happened releases it (its job has finished: publish a new job to do
the effect again).

Effects of notify.email jobs are named "email:<recipient>".`,
	}
	cmd.AddCommand(newEffectsUnknownCommand(a), newEffectsResolveCommand(a))
	return cmd
}

// effectStore opens the fleet's effect records.
func (a *app) effectStore(ctx context.Context) (*idempotency.Store, func(), error) {
	return a.idempotencyStore(ctx, "quarry effects works on the fleet's Redis")
}

// idempotencyStore opens the fleet's claim and effect records, in the
// Redis QUARRY_REDIS_URL names; without one, the error says why it is
// needed. The func closes the connection.
func (a *app) idempotencyStore(ctx context.Context, why string) (*idempotency.Store, func(), error) {
	if a.cfg.RedisURL == "" {
		return nil, nil, errors.New(why + ": set QUARRY_REDIS_URL")
	}
	rdb, err := infra.OpenRedis(ctx, a.cfg.RedisURL)
	if err != nil {
		return nil, nil, err
	}
	return idempotency.NewStore(rdb.Client, a.cfg.RedisPrefix), func() { _ = rdb.Close() }, nil
}

// unknownEffect is one line of `quarry effects unknown`.
type unknownEffect struct {
	idempotency.UnknownEffect
	// Settles says what settles it: an SES event naming the send, and
	// then the quiet period or a person.
	Settles string `json:"settles"`
}

func newEffectsUnknownCommand(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "unknown",
		Short: "List effects whose outcome is unknown, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, closeFn, err := a.effectStore(cmd.Context())
			if err != nil {
				return err
			}
			defer closeFn()
			list, err := store.ListUnknownEffects(cmd.Context())
			if err != nil {
				return err
			}
			entries := make([]unknownEffect, len(list))
			for i, u := range list {
				entries[i] = unknownEffect{UnknownEffect: u, Settles: settlesBy(a.cfg, u)}
			}
			if asJSON {
				return writeJSONLines(a.stdout, entries)
			}
			t := newTable(a.stdout, "MARKED", "JOB KEY", "EFFECT", "REASON", "SETTLES")
			for _, u := range entries {
				t.row(u.MarkedAt.Format(time.RFC3339), u.Key, u.Name, u.Reason, u.Settles)
			}
			if err := t.flush(); err != nil {
				return err
			}
			if len(list) == 0 {
				fmt.Fprintln(a.stderr, "no effect is unknown")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON entry per line")
	return cmd
}

func newEffectsResolveCommand(a *app) *cobra.Command {
	var happened, notHappened, asJSON bool
	cmd := &cobra.Command{
		Use:   "resolve JOB_KEY EFFECT (--happened | --not-happened)",
		Short: "Settle an unknown effect after checking what really happened",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if happened == notHappened {
				return usageErrorf("say what happened: --happened or --not-happened")
			}
			store, closeFn, err := a.effectStore(cmd.Context())
			if err != nil {
				return err
			}
			defer closeFn()
			if err := store.ResolveEffect(cmd.Context(), args[0], args[1], happened); err != nil {
				if errors.Is(err, idempotency.ErrInvalid) {
					// Say what is wrong without the package's sentinel text.
					msg := strings.TrimSuffix(err.Error(), ": "+idempotency.ErrInvalid.Error())
					return fmt.Errorf("%s; nothing was changed (quarry effects unknown lists the effects to settle)", msg)
				}
				return err
			}
			if asJSON {
				return writeJSONLine(a.stdout, map[string]any{"key": args[0], "effect": args[1], "happened": happened})
			}
			if happened {
				fmt.Fprintf(a.stdout, "effect %s of %s recorded as done: it will not be performed again\n", args[1], args[0])
			} else {
				fmt.Fprintf(a.stdout, "effect %s of %s forgotten: a new job performs it again\n", args[1], args[0])
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the settled effect as JSON")
	cmd.Flags().BoolVar(&happened, "happened", false, "the effect took place (record it as done)")
	cmd.Flags().BoolVar(&notHappened, "not-happened", false, "the effect did not take place (forget it)")
	return cmd
}

// settlesBy says what will settle an unknown effect under the
// configuration.
func settlesBy(cfg Config, u idempotency.UnknownEffect) string {
	if !strings.HasPrefix(u.Name, "email:") {
		return "a person (quarry effects resolve)"
	}
	if cfg.NotifyUnknownSettle == "person" {
		return "an SES event naming the send, else a person (quarry effects resolve)"
	}
	at := u.MarkedAt.Add(cfg.NotifyUnknownQuiet)
	return "an SES event naming the send, else its job as not sent from " + at.Format(time.RFC3339)
}
