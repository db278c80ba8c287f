package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
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
	run := func(f suppressFunc) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			env, err := a.suppressEnv(cmd.Context(), endpoint)
			if err != nil {
				return err
			}
			defer env.close()
			return f(cmd.Context(), env, args)
		}
	}
	cmd.AddCommand(
		newSuppressListCommand(a, run),
		newSuppressCheckCommand(a, run),
		newSuppressAddCommand(a, run),
		newSuppressRemoveCommand(a, run),
		newSuppressAuditCommand(a, run),
	)
	return cmd
}

// suppressFunc is the work of one suppress subcommand, given the list it
// works on.
type suppressFunc func(ctx context.Context, env *suppressEnv, args []string) error

// suppressRun turns a suppressFunc into a cobra RunE that opens the
// list first and closes it after.
type suppressRun func(suppressFunc) func(*cobra.Command, []string) error

func newSuppressListCommand(a *app, run suppressRun) *cobra.Command {
	var (
		reason, domain string
		all, asJSON    bool
		limit, offset  int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List suppressed addresses, oldest first",
		Args:  cobra.NoArgs,
		RunE: run(func(ctx context.Context, env *suppressEnv, _ []string) error {
			var r suppression.Reason
			if reason != "" {
				var err error
				if r, err = suppression.ParseReason(reason); err != nil {
					return err
				}
			}
			recs, more, err := env.list.List(ctx, suppression.Filter{Reason: r, Domain: domain, Active: !all, Offset: offset, Limit: limit})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSONLines(a.stdout, recs)
			}
			if err := printSuppressions(a.stdout, recs, time.Now()); err != nil {
				return err
			}
			if more {
				fmt.Fprintf(a.stderr, "more: --offset %d\n", offset+len(recs))
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&reason, "reason", "", "only addresses held for this reason")
	cmd.Flags().StringVar(&domain, "domain", "", "only addresses at this domain")
	cmd.Flags().BoolVar(&all, "all", false, "include addresses whose suppressions have all expired")
	cmd.Flags().IntVar(&limit, "limit", 100, "addresses per page")
	cmd.Flags().IntVar(&offset, "offset", 0, "skip this many addresses")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON record per line")
	return cmd
}

// printSuppressions prints one row an address: every reason it is held
// for (marked when expired or expiring), and its first entry's time and
// author.
func printSuppressions(w io.Writer, recs []suppression.Record, now time.Time) error {
	t := newTable(w, "ADDRESS", "REASONS", "SINCE", "BY")
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
		t.row(r.Address, strings.Join(reasons, ", "), first.CreatedAt.Format(time.RFC3339), first.CreatedBy)
	}
	return t.flush()
}

func newSuppressCheckCommand(a *app, run suppressRun) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
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
			if asJSON {
				if err := writeJSONLine(a.stdout, map[string]any{"record": rec, "suppressed": len(active) > 0, "active": active, "audit": trail}); err != nil {
					return err
				}
			} else {
				printSuppressionCheck(a.stdout, rec, active, trail)
			}
			// A suppressed address ends with exitSuppressed, so a script
			// tells "must not be mailed" from "may be" (0) and from a
			// failed check (1).
			if len(active) == 0 {
				return nil
			}
			return withExitCode(exitSuppressed, fmt.Errorf("%s is suppressed (%s)", rec.Address, joinReasons(active)))
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the record, its state and its audit trail as JSON")
	return cmd
}

// printSuppressionCheck prints the verdict on one address, its entries
// with their evidence, and its audit trail.
func printSuppressionCheck(w io.Writer, rec suppression.Record, active []suppression.Reason, trail []suppression.AuditEntry) {
	if len(active) == 0 {
		fmt.Fprintf(w, "%s: may be mailed\n", rec.Address)
	} else {
		fmt.Fprintf(w, "%s: SUPPRESSED (%s)\n", rec.Address, joinReasons(active))
	}
	for _, e := range rec.Entries {
		fmt.Fprintf(w, "  %s  source %s, since %s by %s", e.Reason, e.Source, e.CreatedAt.Format(time.RFC3339), e.CreatedBy)
		if !e.ExpiresAt.IsZero() {
			fmt.Fprintf(w, ", expires %s", e.ExpiresAt.Format(time.RFC3339))
		}
		fmt.Fprintln(w)
		if e.Note != "" {
			fmt.Fprintf(w, "      note: %s\n", e.Note)
		}
		if ev := e.Evidence; ev != nil {
			fmt.Fprintf(w, "      evidence: %s\n", evidenceText(ev))
		}
	}
	if len(trail) == 0 {
		return
	}
	fmt.Fprintln(w, "audit:")
	for _, t := range trail {
		fmt.Fprintf(w, "  %s  %s %s by %s", t.At.Format(time.RFC3339), t.Action, t.Reason, t.Actor)
		if t.ApprovedBy != "" {
			fmt.Fprintf(w, " (approved by %s)", t.ApprovedBy)
		}
		if t.Note != "" {
			fmt.Fprintf(w, ": %s", t.Note)
		}
		if t.Event != "" {
			fmt.Fprintf(w, " [%s]", t.Event)
		}
		fmt.Fprintln(w)
	}
}

func newSuppressAddCommand(a *app, run suppressRun) *cobra.Command {
	var (
		why, kind string
		expires   time.Duration
	)
	cmd := &cobra.Command{
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
	cmd.Flags().StringVar(&why, "reason", "", "why, in words (required; kept in the entry and the audit trail)")
	cmd.Flags().StringVar(&kind, "kind", "", "suppression reason: manual (default), unsubscribe, hard_bounce, complaint, soft_bounce")
	cmd.Flags().DurationVar(&expires, "expires", 0, "lift it automatically after this long (default: never)")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

func newSuppressRemoveCommand(a *app, run suppressRun) *cobra.Command {
	var why, kind, approvedBy string
	cmd := &cobra.Command{
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
	cmd.Flags().StringVar(&why, "reason", "", "why, in words (required; kept in the audit trail)")
	cmd.Flags().StringVar(&kind, "kind", "", "the one suppression reason to lift")
	cmd.Flags().StringVar(&approvedBy, "approved-by", "", "second person approving a complaint removal")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

func newSuppressAuditCommand(a *app, run suppressRun) *cobra.Command {
	var (
		limit  int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "audit [EMAIL]",
		Short: "Show the audit trail (of one address, or of every change)",
		Args:  cobra.MaximumNArgs(1),
		RunE: run(func(ctx context.Context, env *suppressEnv, args []string) error {
			addr := ""
			if len(args) == 1 {
				addr = args[0]
			}
			trail, err := env.list.Audit(ctx, addr, limit)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSONLines(a.stdout, trail)
			}
			tab := newTable(a.stdout, "AT", "ACTION", "REASON", "ADDRESS", "BY", "WHY")
			for _, t := range trail {
				by := t.Actor
				if t.ApprovedBy != "" {
					by += " (approved by " + t.ApprovedBy + ")"
				}
				note := t.Note
				if note == "" {
					note = t.Event
				}
				tab.row(t.At.Format(time.RFC3339), t.Action, t.Reason, t.Address, by, note)
			}
			return tab.flush()
		}),
	}
	cmd.Flags().IntVar(&limit, "limit", 100, "show the last N changes (0: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON entry per line")
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
