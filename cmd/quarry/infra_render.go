package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/cfn"
)

func newInfraRenderCommand(a *app) *cobra.Command {
	var envName, out string
	cmd := &cobra.Command{
		Use:   "render [--env NAME] [--out DIR]",
		Short: "Render the topology as CloudFormation templates (messaging, workers, mail)",
		Long: `render writes three CloudFormation templates for an environment:
messaging.json (topics, queues with DLQs, queue policies, filtered
subscriptions, alarms), workers.json (ECS cluster, one autoscaled Fargate
service per role, task roles, the MemoryDB claims store unless RedisURL names
a Redis) and mail.json (the SES configuration set and its events). Deploy
them in that order with aws cloudformation deploy. Environments: ` + strings.Join(cfn.EnvironmentNames(), ", ") + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := cfn.LookupEnvironment(envName)
			if err != nil {
				return err
			}
			if out == "" {
				out = filepath.Join("cloudformation", env.Name)
			}
			top := infra.DefaultTopology()
			top.BlobBucket = a.cfg.BlobBucket
			top.SenderIdentity = a.cfg.senderIdentity()
			stacks, err := cfn.Render(top, env, cfn.Options{WorkerRoles: roleNames()})
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fmt.Errorf("creating %s: %w", out, err)
			}
			for _, s := range stacks {
				b, err := s.JSON()
				if err != nil {
					return err
				}
				path := filepath.Join(out, s.Name+".json")
				if err := os.WriteFile(path, b, 0o644); err != nil {
					return fmt.Errorf("writing %s: %w", path, err)
				}
				fmt.Fprintf(a.stdout, "%s\tstack quarry-%s-%s, %d resources\n", path, env.Name, s.Name, len(s.Template.Resources))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&envName, "env", "default", "environment ("+strings.Join(cfn.EnvironmentNames(), ", ")+")")
	cmd.Flags().StringVar(&out, "out", "", "directory of the templates (default cloudformation/ENV)")
	return cmd
}

func newInfraCheckCommand(a *app) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "check [--dir DIR]",
		Short: "Check rendered templates offline: CloudFormation's resource schemas and Quarry's rules",
		Long: `check validates every *.json template in DIR without AWS: each resource
against CloudFormation's schema of its type (unknown or misspelled properties,
wrong types), then Quarry's rules: every queue has a DLQ that keeps messages
longer, every DLQ has a depth alarm, no IAM action or resource is a wildcard
where a name is known, every subscription is filtered, every Fargate
container's stopTimeout is set and at most 120 s, every service scales on its
backlog. It exits non-zero naming each problem.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
			if err != nil {
				return err
			}
			if len(paths) == 0 {
				return fmt.Errorf("no *.json templates in %s (quarry infra render --out %s writes them)", dir, dir)
			}
			files := map[string][]byte{}
			for _, p := range paths {
				b, err := os.ReadFile(p)
				if err != nil {
					return fmt.Errorf("reading template: %w", err)
				}
				files[filepath.Base(p)] = b
			}
			problems, err := cfn.Check(files)
			if err != nil {
				return err
			}
			for _, p := range problems {
				fmt.Fprintln(a.stdout, p)
			}
			if len(problems) > 0 {
				return fmt.Errorf("%d problems in the templates of %s", len(problems), dir)
			}
			fmt.Fprintf(a.stdout, "ok: %d templates in %s pass the schemas and the rules\n", len(files), dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", filepath.Join("cloudformation", "default"), "directory of the rendered templates")
	return cmd
}
