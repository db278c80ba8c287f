package cfn_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/cfn"
)

var update = flag.Bool("update", false, "rewrite the golden templates in testdata/")

var workerRoles = []string{infra.RoleFetch, infra.RoleExtract, infra.RoleNotify, infra.RoleSESEvents}

func render(t *testing.T, top infra.Topology, envName string) map[string][]byte {
	t.Helper()
	env, err := cfn.LookupEnvironment(envName)
	if err != nil {
		t.Fatal(err)
	}
	stacks, err := cfn.Render(top, env, cfn.Options{WorkerRoles: workerRoles})
	if err != nil {
		t.Fatalf("Render(%s): %v", envName, err)
	}
	out := map[string][]byte{}
	for _, s := range stacks {
		b, err := s.JSON()
		if err != nil {
			t.Fatal(err)
		}
		out[s.Name+".json"] = b
	}
	return out
}

// TestRenderGolden renders every built-in environment, checks the result
// and compares it with the reviewed templates in testdata/<env>/.
func TestRenderGolden(t *testing.T) {
	t.Parallel()
	for _, envName := range cfn.EnvironmentNames() {
		t.Run(envName, func(t *testing.T) {
			files := render(t, infra.DefaultTopology(), envName)
			problems, err := cfn.Check(files)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				t.Errorf("check: %s", p)
			}
			dir := filepath.Join("testdata", envName)
			for name, got := range files {
				path := filepath.Join(dir, name)
				if *update {
					if err := os.MkdirAll(dir, 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./infra/cfn -update to write it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the golden file; review the diff with go test ./infra/cfn -update && git diff %s", name, path)
				}
			}
		})
	}
}

// edit decodes a template, lets f change it, and encodes it again.
func edit(t *testing.T, b []byte, f func(res map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	f(doc["Resources"].(map[string]any))
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func resource(res map[string]any, id string) map[string]any {
	return res[id].(map[string]any)["Properties"].(map[string]any)
}

// TestCheckCatchesBrokenTemplates breaks a good template one way at a time
// and expects the check to name the resource and what is wrong.
func TestCheckCatchesBrokenTemplates(t *testing.T) {
	t.Parallel()
	good := render(t, infra.DefaultTopology(), "production")
	cases := []struct {
		name, stack string
		breakIt     func(res map[string]any)
		want        []string // substrings of one problem line
	}{
		{"misspelled property", "messaging.json", func(res map[string]any) {
			p := resource(res, "FetchQueue")
			p["VisibilityTimout"] = p["VisibilityTimeout"]
			delete(p, "VisibilityTimeout")
		}, []string{"messaging.json: FetchQueue: AWS::SQS::Queue:", "VisibilityTimout", "not allowed"}},
		{"wrong property type", "workers.json", func(res map[string]any) {
			resource(res, "ExtractScalableTarget")["MaxCapacity"] = "twenty"
		}, []string{"ExtractScalableTarget", "/Properties/MaxCapacity", "number"}},
		{"unknown resource type", "workers.json", func(res map[string]any) {
			res["Oops"] = map[string]any{"Type": "AWS::SQS::Queu", "Properties": map[string]any{}}
		}, []string{"Oops: unknown resource type AWS::SQS::Queu"}},
		{"wildcard IAM action", "workers.json", func(res map[string]any) {
			st := firstStatement(resource(res, "FetchTaskRole"))
			st["Action"] = "sqs:*"
		}, []string{"FetchTaskRole", `statement ConsumeQueue allows action "sqs:*"`}},
		{"wildcard IAM resource", "workers.json", func(res map[string]any) {
			firstStatement(resource(res, "NotifyTaskRole"))["Resource"] = "*"
		}, []string{"NotifyTaskRole", "statement ConsumeQueue grants", `every resource ("*")`}},
		{"wildcard queue name", "workers.json", func(res map[string]any) {
			firstStatement(resource(res, "NotifyTaskRole"))["Resource"] = map[string]any{"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:quarry-*"}
		}, []string{"NotifyTaskRole", "grants sqs resources by wildcard", "where the name is known"}},
		{"missing DLQ", "messaging.json", func(res map[string]any) {
			delete(res, "FetchDLQ")
		}, []string{"FetchQueue: queue quarry-fetch's RedrivePolicy names dead-letter queue FetchDLQ, which is not a queue of this template"}},
		{"no redrive policy", "messaging.json", func(res map[string]any) {
			delete(resource(res, "ExtractQueue"), "RedrivePolicy")
		}, []string{"ExtractQueue: queue quarry-extract has no dead-letter queue"}},
		{"DLQ retention too short", "messaging.json", func(res map[string]any) {
			resource(res, "NotifyDLQ")["MessageRetentionPeriod"] = 3600
		}, []string{"NotifyDLQ: dead-letter queue of quarry-notify keeps messages 3600s, not longer than its queue's 345600s"}},
		{"DLQ without alarm", "messaging.json", func(res map[string]any) {
			delete(res, "SesEventsDLQAlarm")
		}, []string{"SesEventsDLQ: dead-letter queue quarry-ses-events-dlq has no alarm"}},
		{"unfiltered subscription", "messaging.json", func(res map[string]any) {
			delete(resource(res, "FetchSubscription"), "FilterPolicy")
		}, []string{"FetchSubscription: subscription has no FilterPolicy"}},
		{"stopTimeout over Fargate's limit", "workers.json", func(res map[string]any) {
			cd := resource(res, "ExtractTaskDefinition")["ContainerDefinitions"].([]any)[0].(map[string]any)
			cd["StopTimeout"] = 150
		}, []string{"ExtractTaskDefinition: container quarry's StopTimeout 150s is over Fargate's maximum of 120s"}},
		{"no stopTimeout", "workers.json", func(res map[string]any) {
			cd := resource(res, "NotifyTaskDefinition")["ContainerDefinitions"].([]any)[0].(map[string]any)
			delete(cd, "StopTimeout")
		}, []string{"NotifyTaskDefinition: container quarry has no StopTimeout"}},
		{"no way up from zero", "workers.json", func(res map[string]any) {
			delete(res, "FetchFromZeroPolicy")
			delete(res, "FetchFromZeroAlarm")
		}, []string{"FetchScalableTarget: service quarry-fetch may scale to zero tasks but has no step policy"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string][]byte{}
			for k, v := range good {
				files[k] = v
			}
			files[tc.stack] = edit(t, good[tc.stack], tc.breakIt)
			problems, err := cfn.Check(files)
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) == 0 {
				t.Fatal("check found nothing wrong")
			}
			for _, p := range problems {
				line := p.String()
				if containsAll(line, tc.want) {
					t.Logf("caught: %s", line)
					return
				}
			}
			t.Errorf("no problem line contains %q; got:\n%s", tc.want, joinProblems(problems))
		})
	}
}

func firstStatement(p map[string]any) map[string]any {
	pol := p["Policies"].([]any)[0].(map[string]any)
	return pol["PolicyDocument"].(map[string]any)["Statement"].([]any)[0].(map[string]any)
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func joinProblems(ps []cfn.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}

func TestCheckRejectsNonJSON(t *testing.T) {
	t.Parallel()
	if _, err := cfn.Check(map[string][]byte{"x.json": []byte("Resources: {}")}); err == nil || !strings.Contains(err.Error(), "x.json") {
		t.Fatalf("Check of YAML: err = %v, want one naming x.json", err)
	}
}

// TestRenderEveryQueue: a queue of a role the binary does not run still gets
// its queue, DLQ, subscription and alarms, and no service.
func TestRenderEveryQueue(t *testing.T) {
	t.Parallel()
	top := infra.DefaultTopology()
	extra := top.Queues[0]
	extra.Role, extra.Name, extra.JobTypes = "archive", "quarry-archive", []string{"archive.document"}
	top.Queues = append(top.Queues, extra)
	files := render(t, top, "default")
	problems, err := cfn.Check(files)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Fatalf("check:\n%s", joinProblems(problems))
	}
	var msg, wk struct{ Resources map[string]any }
	_ = json.Unmarshal(files["messaging.json"], &msg)
	_ = json.Unmarshal(files["workers.json"], &wk)
	for _, id := range []string{"ArchiveQueue", "ArchiveDLQ", "ArchiveSubscription", "ArchiveQueuePolicy", "ArchiveDLQAlarm", "ArchiveOldestAlarm"} {
		if msg.Resources[id] == nil {
			t.Errorf("messaging stack has no %s", id)
		}
	}
	if wk.Resources["ArchiveService"] != nil {
		t.Error("workers stack has a service for a role the binary cannot run")
	}
	if wk.Resources["FetchService"] == nil {
		t.Error("workers stack lost the fetch service")
	}
}

// TestRenderRefusesSoftStopOverFargate: a soft-stop that cannot fit in
// Fargate's 120 s with the give-back time is refused, naming the role.
func TestRenderRefusesSoftStopOverFargate(t *testing.T) {
	t.Parallel()
	env, _ := cfn.LookupEnvironment("production")
	s := env.Roles["extract"]
	s.SoftStop = 115 * time.Second
	env.Roles["extract"] = s
	_, err := cfn.Render(infra.DefaultTopology(), env, cfn.Options{WorkerRoles: workerRoles})
	if err == nil || !strings.Contains(err.Error(), "role extract") || !strings.Contains(err.Error(), "at most 1m50s") {
		t.Fatalf("Render with a 115s soft-stop: err = %v", err)
	}
}

// TestStopTimeoutRendered: each task's stopTimeout is its role's soft-stop
// plus the give-back time.
func TestStopTimeoutRendered(t *testing.T) {
	t.Parallel()
	for env, want := range map[string]map[string]float64{
		"default":    {"Fetch": 30, "Extract": 30, "Notify": 30, "SesEvents": 30},
		"production": {"Fetch": 70, "Extract": 110, "Notify": 30, "SesEvents": 30},
	} {
		files := render(t, infra.DefaultTopology(), env)
		var wk struct{ Resources map[string]map[string]any }
		if err := json.Unmarshal(files["workers.json"], &wk); err != nil {
			t.Fatal(err)
		}
		for id, secs := range want {
			p := wk.Resources[id+"TaskDefinition"]["Properties"].(map[string]any)
			cd := p["ContainerDefinitions"].([]any)[0].(map[string]any)
			if cd["StopTimeout"] != secs {
				t.Errorf("%s %s: StopTimeout %v, want %v", env, id, cd["StopTimeout"], secs)
			}
			if !strings.Contains(strings.Join(toStrings(cd["Command"]), " "), "--soft-stop") {
				t.Errorf("%s %s: command %v does not pass --soft-stop", env, id, cd["Command"])
			}
		}
	}
}

func toStrings(v any) []string {
	var out []string
	for _, e := range v.([]any) {
		out = append(out, e.(string))
	}
	return out
}

// TestTaskPoliciesFollowTheStages: each role's task role allows what its
// stage calls and nothing more.
func TestTaskPoliciesFollowTheStages(t *testing.T) {
	t.Parallel()
	files := render(t, infra.DefaultTopology(), "default")
	var wk struct{ Resources map[string]map[string]any }
	if err := json.Unmarshal(files["workers.json"], &wk); err != nil {
		t.Fatal(err)
	}
	base := "ConsumeQueue DeadLetter TaskProtection FindTopic"
	for id, want := range map[string]string{
		"Fetch":     base + " PublishJobs Blobs",
		"Extract":   base + " PublishJobs Blobs",
		"Notify":    base + " Blobs SendMail SendQuota",
		"SesEvents": base,
	} {
		p := wk.Resources[id+"TaskRole"]["Properties"].(map[string]any)
		pol := p["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)
		var sids []string
		for _, s := range pol["Statement"].([]any) {
			sids = append(sids, s.(map[string]any)["Sid"].(string))
		}
		if got := strings.Join(sids, " "); got != want {
			t.Errorf("%s task role: statements %q, want %q", id, got, want)
		}
	}
}
