package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/spf13/cobra"

	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/pipeline/suppression"
)

// suppressEnv is what the suppress subcommands work with.
type suppressEnv struct {
	list  *suppression.Store
	ses   *sesv2.Client // nil unless QUARRY_SES_MIRROR_SUPPRESSIONS is on
	actor string
	close func()
}

func (a *app) suppressEnv(ctx context.Context, endpoint string) (*suppressEnv, error) {
	if a.cfg.RedisURL == "" {
		return nil, errors.New("quarry suppress works on the fleet's list: set QUARRY_REDIS_URL to its Redis")
	}
	rdb, err := infra.OpenRedis(ctx, a.cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	list, err := newSuppressionStore(a.cfg, rdb)
	if err != nil {
		_ = rdb.Close()
		return nil, err
	}
	env := &suppressEnv{list: list, actor: a.actor(), close: func() { _ = rdb.Close() }}
	if a.cfg.SESMirrorSuppressions {
		aws, err := a.awsEnv(ctx, endpoint)
		if err != nil {
			env.close()
			return nil, err
		}
		env.ses = aws.clients.SES
	}
	return env, nil
}

func newSuppressionStore(cfg Config, rdb *infra.Redis) (*suppression.Store, error) {
	return suppression.New(suppression.Config{Redis: rdb.Client, Prefix: cfg.RedisPrefix, HashKey: []byte(cfg.SuppressHashKey)})
}

// actor is who the audit trail names: QUARRY_ACTOR, else user@host.
func (a *app) actor() string {
	if a.cfg.Actor != "" {
		return a.cfg.Actor
	}
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

func newSuppressCommand(a *app) *cobra.Command {
	var endpoint string
	cmd := &cobra.Command{
		Use:   "suppress",
		Short: "List, check, add and remove suppressed email addresses",
		Long: `The suppression list keeps addresses the notify stage must not mail: hard
bounces, repeated soft bounces and complaints (added by the ses-events stage),
unsubscribes and manual entries. Every change is written to an audit trail
with who made it, when and why. It lives in the fleet's Redis
(QUARRY_REDIS_URL, QUARRY_REDIS_PREFIX). With QUARRY_SES_MIRROR_SUPPRESSIONS
on, hard bounces and complaints are mirrored into SES's account-level list.

Reasons: complaint, hard_bounce, unsubscribe, manual, soft_bounce.`,
	}
	cmd.PersistentFlags().StringVar(&endpoint, "endpoint-url", "", "AWS endpoint for mirroring into SES (default: AWS_ENDPOINT_URL, else AWS)")
	run := func(f func(ctx context.Context, env *suppressEnv, args []string) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			env, err := a.suppressEnv(cmd.Context(), endpoint)
			if err != nil {
				return err
			}
			defer env.close()
			return f(cmd.Context(), env, args)
		}
	}

	var (
		listReason, listDomain string
		listAll, asJSON        bool
		limit, offset          int
	)
	list := &cobra.Command{
		Use:   "list",
		Short: "List suppressed addresses, oldest first",
		Args:  cobra.NoArgs,
		RunE: run(func(ctx context.Context, env *suppressEnv, _ []string) error {
			var reason suppression.Reason
			if listReason != "" {
				r, err := suppression.ParseReason(listReason)
				if err != nil {
					return err
				}
				reason = r
			}
			recs, more, err := env.list.List(ctx, suppression.Filter{Reason: reason, Domain: listDomain, Active: !listAll, Offset: offset, Limit: limit})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSONLines(a, recs)
			}
			now := time.Now()
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ADDRESS\tREASONS\tSINCE\tBY")
			for _, r := range recs {
				first := r.Entries[0]
				var reasons []string
				for _, e := range r.Entries {
					s := string(e.Reason)
					if !e.Active(now) {
						s += " (expired)"
					} else if !e.ExpiresAt.IsZero() {
						s += " (until " + e.ExpiresAt.Format(time.DateOnly) + ")"
					}
					reasons = append(reasons, s)
					if e.CreatedAt.Before(first.CreatedAt) {
						first = e
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Address, strings.Join(reasons, ", "), first.CreatedAt.Format(time.RFC3339), first.CreatedBy)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if more {
				fmt.Fprintf(a.stderr, "more: --offset %d\n", offset+len(recs))
			}
			return nil
		}),
	}
	list.Flags().StringVar(&listReason, "reason", "", "only addresses held for this reason")
	list.Flags().StringVar(&listDomain, "domain", "", "only addresses at this domain")
	list.Flags().BoolVar(&listAll, "all", false, "include addresses whose suppressions have all expired")
	list.Flags().IntVar(&limit, "limit", 100, "addresses per page")
	list.Flags().IntVar(&offset, "offset", 0, "skip this many addresses")
	list.Flags().BoolVar(&asJSON, "json", false, "one JSON record per line")

	var checkJSON bool
	check := &cobra.Command{
		Use:   "check EMAIL",
		Short: "Say whether an address may be mailed, with every reason, its evidence and the audit trail",
		Long: `check says whether an address may be mailed, with every reason it may not,
their evidence and the audit trail. Exit status: 0 may be mailed, 5 suppressed,
1 the check failed.`,
		Args: cobra.ExactArgs(1),
		RunE: run(func(ctx context.Context, env *suppressEnv, args []string) error {
			rec, err := env.list.Get(ctx, args[0])
			if err != nil {
				return err
			}
			trail, err := env.list.Audit(ctx, args[0], 0)
			if err != nil {
				return err
			}
			active := rec.Active(time.Now())
			// A suppressed address ends with exitSuppressed, so a script
			// tells "must not be mailed" from "may be" (0) and from a
			// failed check (1).
			verdict := func() error {
				if len(active) == 0 {
					return nil
				}
				return withExitCode(exitSuppressed, fmt.Errorf("%s is suppressed (%s)", rec.Address, joinReasons(active)))
			}
			if checkJSON {
				if err := json.NewEncoder(a.stdout).Encode(map[string]any{"record": rec, "suppressed": len(active) > 0, "active": active, "audit": trail}); err != nil {
					return err
				}
				return verdict()
			}
			if len(active) == 0 {
				fmt.Fprintf(a.stdout, "%s: may be mailed\n", rec.Address)
			} else {
				fmt.Fprintf(a.stdout, "%s: SUPPRESSED (%s)\n", rec.Address, joinReasons(active))
			}
			for _, e := range rec.Entries {
				fmt.Fprintf(a.stdout, "  %s  source %s, since %s by %s", e.Reason, e.Source, e.CreatedAt.Format(time.RFC3339), e.CreatedBy)
				if !e.ExpiresAt.IsZero() {
					fmt.Fprintf(a.stdout, ", expires %s", e.ExpiresAt.Format(time.RFC3339))
				}
				fmt.Fprintln(a.stdout)
				if e.Note != "" {
					fmt.Fprintf(a.stdout, "      note: %s\n", e.Note)
				}
				if ev := e.Evidence; ev != nil {
					fmt.Fprintf(a.stdout, "      evidence: %s\n", evidenceText(ev))
				}
			}
			if len(trail) > 0 {
				fmt.Fprintln(a.stdout, "audit:")
				for _, t := range trail {
					fmt.Fprintf(a.stdout, "  %s  %s %s by %s", t.At.Format(time.RFC3339), t.Action, t.Reason, t.Actor)
					if t.ApprovedBy != "" {
						fmt.Fprintf(a.stdout, " (approved by %s)", t.ApprovedBy)
					}
					if t.Note != "" {
						fmt.Fprintf(a.stdout, ": %s", t.Note)
					}
					if t.Event != "" {
						fmt.Fprintf(a.stdout, " [%s]", t.Event)
					}
					fmt.Fprintln(a.stdout)
				}
			}
			return verdict()
		}),
	}
	check.Flags().BoolVar(&checkJSON, "json", false, "print the record, its state and its audit trail as JSON")

	var (
		why, kind, approvedBy string
		expires               time.Duration
	)
	add := &cobra.Command{
		Use:   "add EMAIL --reason TEXT",
		Short: "Suppress an address (kind manual unless --kind says otherwise)",
		Args:  cobra.ExactArgs(1),
		RunE: run(func(ctx context.Context, env *suppressEnv, args []string) error {
			r, err := suppression.ParseReason(cmp.Or(kind, string(suppression.Manual)))
			if err != nil {
				return err
			}
			e := suppression.Entry{Reason: r, Source: suppression.SourceAdmin, CreatedBy: env.actor, Note: why}
			if expires > 0 {
				e.ExpiresAt = time.Now().Add(expires)
			}
			added, err := env.list.Add(ctx, args[0], e, "")
			if err != nil {
				return err
			}
			if err := env.mirror(ctx, args[0], r, true); err != nil {
				return err
			}
			if added {
				fmt.Fprintf(a.stdout, "%s suppressed (%s)\n", strings.ToLower(strings.TrimSpace(args[0])), r)
			} else {
				fmt.Fprintf(a.stdout, "%s was already suppressed for %s: nothing changed\n", strings.ToLower(strings.TrimSpace(args[0])), r)
			}
			return nil
		}),
	}
	add.Flags().StringVar(&why, "reason", "", "why, in words (required; kept in the entry and the audit trail)")
	add.Flags().StringVar(&kind, "kind", "", "suppression reason: manual (default), unsubscribe, hard_bounce, complaint, soft_bounce")
	add.Flags().DurationVar(&expires, "expires", 0, "lift it automatically after this long (default: never)")

	remove := &cobra.Command{
		Use:   "remove EMAIL --reason TEXT",
		Short: "Lift an address's suppressions (all but complaint unless --kind says which)",
		Long: `remove lifts one kind of suppression (--kind), or every kind but complaint.
A complaint is lifted only with --kind complaint and --approved-by naming a
second person who has seen evidence of renewed consent.`,
		Args: cobra.ExactArgs(1),
		RunE: run(func(ctx context.Context, env *suppressEnv, args []string) error {
			kinds := []suppression.Reason{suppression.HardBounce, suppression.Unsubscribe, suppression.Manual, suppression.SoftBounce}
			if kind != "" {
				r, err := suppression.ParseReason(kind)
				if err != nil {
					return err
				}
				kinds = []suppression.Reason{r}
			}
			removed := 0
			for _, r := range kinds {
				ok, err := env.list.Remove(ctx, args[0], suppression.Removal{Reason: r, Actor: env.actor, Note: why, ApprovedBy: approvedBy})
				if err != nil {
					return err
				}
				if ok {
					removed++
					fmt.Fprintf(a.stdout, "%s: %s lifted\n", strings.ToLower(strings.TrimSpace(args[0])), r)
					if err := env.mirror(ctx, args[0], r, false); err != nil {
						return err
					}
				}
			}
			rec, err := env.list.Get(ctx, args[0])
			if err != nil {
				return err
			}
			if active := rec.Active(time.Now()); len(active) > 0 {
				fmt.Fprintf(a.stdout, "%s is still suppressed (%s)\n", rec.Address, joinReasons(active))
			} else if removed == 0 {
				fmt.Fprintf(a.stdout, "%s held none of those suppressions: nothing changed\n", rec.Address)
			}
			return nil
		}),
	}
	remove.Flags().StringVar(&why, "reason", "", "why, in words (required; kept in the audit trail)")
	remove.Flags().StringVar(&kind, "kind", "", "the one suppression reason to lift")
	remove.Flags().StringVar(&approvedBy, "approved-by", "", "second person approving a complaint removal")

	var auditLimit int
	var auditJSON bool
	audit := &cobra.Command{
		Use:   "audit [EMAIL]",
		Short: "Show the audit trail (of one address, or of every change)",
		Args:  cobra.MaximumNArgs(1),
		RunE: run(func(ctx context.Context, env *suppressEnv, args []string) error {
			addr := ""
			if len(args) == 1 {
				addr = args[0]
			}
			trail, err := env.list.Audit(ctx, addr, auditLimit)
			if err != nil {
				return err
			}
			if auditJSON {
				return writeJSONLines(a, trail)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "AT\tACTION\tREASON\tADDRESS\tBY\tWHY")
			for _, t := range trail {
				by := t.Actor
				if t.ApprovedBy != "" {
					by += " (approved by " + t.ApprovedBy + ")"
				}
				note := t.Note
				if note == "" {
					note = t.Event
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.At.Format(time.RFC3339), t.Action, t.Reason, t.Address, by, note)
			}
			return tw.Flush()
		}),
	}
	audit.Flags().IntVar(&auditLimit, "limit", 100, "show the last N changes (0: all)")
	audit.Flags().BoolVar(&auditJSON, "json", false, "one JSON entry per line")

	for _, c := range []*cobra.Command{add, remove} {
		_ = c.MarkFlagRequired("reason")
	}
	cmd.AddCommand(list, check, add, remove, audit)
	return cmd
}

// mirror copies a hard-bounce or complaint change into SES's
// account-level list when mirroring is on.
func (e *suppressEnv) mirror(ctx context.Context, address string, r suppression.Reason, add bool) error {
	if e.ses == nil {
		return nil
	}
	return infra.MirrorSuppression(ctx, e.ses, address, string(r), add)
}

func joinReasons(rs []suppression.Reason) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

func evidenceText(ev *suppression.Evidence) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	add("ses_message_id", ev.SESMessageID)
	add("feedback_id", ev.FeedbackID)
	add("bounce", strings.Trim(ev.BounceType+"/"+ev.BounceSubType, "/"))
	add("status", ev.Status)
	add("diagnostic", ev.DiagnosticCode)
	add("complaint_type", ev.ComplaintFeedbackType)
	add("job_id", ev.JobID)
	if ev.Count > 0 {
		parts = append(parts, fmt.Sprintf("count=%d", ev.Count))
	}
	return strings.Join(parts, " ")
}

func writeJSONLines[T any](a *app, items []T) error {
	enc := json.NewEncoder(a.stdout)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return err
		}
	}
	return nil
}
