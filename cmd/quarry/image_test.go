package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfile checks what CI can check of the image without Docker: a
// multi-stage build of a static binary (no cgo) of this command, a final
// distroless non-root stage, and an exec-form entrypoint so quarry is PID 1
// and receives ECS's SIGTERM.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	froms := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(df, -1)
	if len(froms) < 2 {
		t.Fatalf("want a multi-stage build, got %d FROM lines", len(froms))
	}
	final := df[strings.LastIndex(df, "\nFROM "):]
	for _, want := range []string{
		"CGO_ENABLED=0", "GOOS=linux", "go build -trimpath", "./cmd/quarry", "-X main.version=",
	} {
		if !strings.Contains(df, want) {
			t.Errorf("the build stage lacks %q", want)
		}
	}
	if !strings.Contains(froms[len(froms)-1][1], "distroless/static") {
		t.Errorf("final stage is %s, want a distroless static base", froms[len(froms)-1][1])
	}
	user := regexp.MustCompile(`(?m)^USER (\S+)`).FindStringSubmatch(final)
	if user == nil || strings.HasPrefix(user[1], "0") || strings.HasPrefix(user[1], "root") {
		t.Errorf("final stage runs as %v, want a non-root USER", user)
	}
	ep := regexp.MustCompile(`(?m)^ENTRYPOINT (.+)$`).FindStringSubmatch(final)
	var argv []string
	if ep == nil || json.Unmarshal([]byte(ep[1]), &argv) != nil || len(argv) != 1 {
		t.Fatalf("ENTRYPOINT %v: want exec form [\"/quarry\"]", ep)
	}
	if !strings.Contains(final, "COPY --from=build /out/quarry "+argv[0]) {
		t.Errorf("the entrypoint %s is not the binary the build stage copies", argv[0])
	}
}

// TestRenderedCommandsParse: the command every rendered task definition
// gives the image's entrypoint is one quarry accepts, flag by flag.
func TestRenderedCommandsParse(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"default", "production"} {
		dir := t.TempDir()
		if out, err := quarryOut(t, "infra", "render", "--env", env, "--out", dir); err != nil {
			t.Fatalf("render: %v\n%s", err, out)
		}
		b, err := os.ReadFile(filepath.Join(dir, "workers.json"))
		if err != nil {
			t.Fatal(err)
		}
		var tpl struct {
			Resources map[string]struct {
				Type       string
				Properties struct{ ContainerDefinitions []struct{ Command []string } }
			}
		}
		if err := json.Unmarshal(b, &tpl); err != nil {
			t.Fatal(err)
		}
		n := 0
		for id, r := range tpl.Resources {
			if r.Type != "AWS::ECS::TaskDefinition" {
				continue
			}
			args := r.Properties.ContainerDefinitions[0].Command
			root := newRootCommand(nil, nil)
			cmd, rest, err := root.Find(args)
			if err != nil || cmd.Name() != "worker" {
				t.Fatalf("%s %s: %v is not quarry worker: %v", env, id, args, err)
			}
			if err := cmd.ParseFlags(rest); err != nil {
				t.Errorf("%s %s: quarry worker rejects %v: %v", env, id, args, err)
			}
			if err := cmd.ValidateRequiredFlags(); err != nil {
				t.Errorf("%s %s: %v", env, id, err)
			}
			if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
				t.Errorf("%s %s: %v", env, id, err)
			}
			role, _ := cmd.Flags().GetString("roles")
			if _, err := findRole(role); err != nil {
				t.Errorf("%s %s: %v", env, id, err)
			}
			n++
		}
		if n != len(roles) {
			t.Errorf("%s: %d task definitions, want one per role (%d)", env, n, len(roles))
		}
	}
}
