package cfn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/awslabs/goformation/v7/schema"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/quarry-dev/quarry/infra/ecstask"
)

// Problem is one thing wrong with a rendered template.
type Problem struct {
	// Stack is the template's file name; Resource its logical id (empty
	// for the template as a whole).
	Stack, Resource string
	Message         string
}

func (p Problem) String() string {
	if p.Resource == "" {
		return p.Stack + ": " + p.Message
	}
	return p.Stack + ": " + p.Resource + ": " + p.Message
}

// Check validates rendered templates, by file name, offline: each resource
// against CloudFormation's schema of its type (goformation's), then
// Quarry's rules. It returns every problem found, sorted; an error only
// when a template is not JSON.
func Check(templates map[string][]byte) ([]Problem, error) {
	var all []Problem
	names := make([]string, 0, len(templates))
	for n := range templates {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		var t template
		if err := json.Unmarshal(templates[name], &t); err != nil {
			return nil, fmt.Errorf("template %s is not CloudFormation JSON: %w", name, err)
		}
		c := checker{stack: name, t: t}
		c.schema()
		c.queues()
		c.iam()
		c.stopTimeouts()
		c.subscriptions()
		c.scaling()
		all = append(all, c.problems...)
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Stack != all[j].Stack {
			return all[i].Stack < all[j].Stack
		}
		return all[i].Resource < all[j].Resource
	})
	return all, nil
}

type template struct {
	Parameters map[string]struct {
		Type string `json:"Type"`
	} `json:"Parameters"`
	Resources map[string]map[string]any `json:"Resources"`
}

type checker struct {
	stack    string
	t        template
	problems []Problem
}

func (c *checker) add(res, format string, args ...any) {
	c.problems = append(c.problems, Problem{Stack: c.stack, Resource: res, Message: fmt.Sprintf(format, args...)})
}

// ofType returns the logical ids of the resources of a type, sorted.
func (c *checker) ofType(typ string) []string {
	var ids []string
	for id, r := range c.t.Resources {
		if r["Type"] == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// --- schema ---

var (
	schemaOnce   sync.Once
	schemaDefs   map[string]any // CloudFormation's schema's definitions
	schemaErr    error
	schemaMu     sync.Mutex
	schemaByType = map[string]*jsonschema.Schema{}
)

// resourceSchema compiles (once) the schema of a resource type. It
// compiles a document of that type's definition and the definitions it
// refers to, not CloudFormation's whole schema of every type (minutes of
// compiling).
func resourceSchema(typ string) (*jsonschema.Schema, error) {
	schemaOnce.Do(func() {
		var doc struct {
			Definitions map[string]any `json:"definitions"`
		}
		if err := json.Unmarshal([]byte(schema.CloudformationSchema), &doc); err != nil {
			schemaErr = fmt.Errorf("reading CloudFormation's schema: %w", err)
			return
		}
		schemaDefs = doc.Definitions
	})
	if schemaErr != nil {
		return nil, schemaErr
	}
	schemaMu.Lock()
	defer schemaMu.Unlock()
	if s, ok := schemaByType[typ]; ok {
		return s, nil
	}
	if _, ok := schemaDefs[typ]; !ok {
		return nil, nil
	}
	defs := map[string]any{}
	collectDefinitions(typ, defs)
	// Round-trip through the library's decoder, which keeps numbers exact.
	raw, err := json.Marshal(map[string]any{"$ref": "#/definitions/" + typ, "definitions": defs})
	if err != nil {
		return nil, fmt.Errorf("the schema of %s: %w", typ, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("the schema of %s: %w", typ, err)
	}
	url := "https://quarry.invalid/cloudformation/" + strings.ReplaceAll(typ, "::", "-") + ".json"
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("the schema of %s: %w", typ, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("compiling the schema of %s: %w", typ, err)
	}
	schemaByType[typ] = s
	return s, nil
}

// collectDefinitions adds the definition name and every definition it
// refers to ("#/definitions/...") to defs.
func collectDefinitions(name string, defs map[string]any) {
	if _, done := defs[name]; done {
		return
	}
	d, ok := schemaDefs[name]
	if !ok {
		return
	}
	defs[name] = d
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if n, ok := strings.CutPrefix(ref, "#/definitions/"); ok {
					collectDefinitions(n, defs)
				}
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(d)
}

func (c *checker) schema() {
	ids := make([]string, 0, len(c.t.Resources))
	for id := range c.t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r := c.t.Resources[id]
		typ, _ := r["Type"].(string)
		if typ == "" {
			c.add(id, "resource has no Type")
			continue
		}
		s, err := resourceSchema(typ)
		if err != nil {
			c.add(id, "%v", err)
			continue
		}
		if s == nil {
			c.add(id, "unknown resource type %s", typ)
			continue
		}
		if err := s.Validate(c.placeholders(r)); err != nil {
			for _, m := range schemaMessages(err) {
				c.add(id, "%s: %s", typ, m)
			}
		}
	}
}

// placeholders copies v with intrinsic functions ({"Ref": ...},
// {"Fn::...": ...}) replaced by a placeholder string, or a list of one
// for a Ref to a list parameter, since the schemas describe resolved
// values.
func (c *checker) placeholders(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 {
			for k, e := range v {
				if k == "Ref" {
					if name, ok := e.(string); ok && isListParameter(c.t.Parameters[name].Type) {
						return []any{"{{" + name + "}}"}
					}
					return "{{intrinsic}}"
				}
				if strings.HasPrefix(k, "Fn::") {
					return "{{intrinsic}}"
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = c.placeholders(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = c.placeholders(e)
		}
		return out
	}
	return v
}

// schemaMessages turns a validation error into one line per failed
// leaf: "at /Properties: additional properties 'VisibilityTimout' not allowed".
func schemaMessages(err error) []string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []string{err.Error()}
	}
	p := message.NewPrinter(language.English)
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, "at /"+strings.Join(e.InstanceLocation, "/")+": "+e.ErrorKind.LocalizedString(p))
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	slices.Sort(out)
	return slices.Compact(out)
}

// --- queues and DLQs ---

// refTarget returns the logical id an intrinsic names: {"Ref": X} or
// {"Fn::GetAtt": [X, ...]}.
func refTarget(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if s, ok := m["Ref"].(string); ok {
		return s
	}
	if l, ok := m["Fn::GetAtt"].([]any); ok && len(l) > 0 {
		s, _ := l[0].(string)
		return s
	}
	return ""
}

func number(v any) (float64, bool) {
	f, ok := v.(float64)
	return f, ok
}

func (c *checker) queues() {
	queues := c.ofType("AWS::SQS::Queue")
	if len(queues) == 0 {
		return
	}
	dlqOf := map[string]string{} // queue → DLQ id
	isDLQ := map[string]bool{}
	for _, id := range queues {
		p := props(c.t.Resources[id])
		if _, ok := p["RedriveAllowPolicy"]; ok {
			isDLQ[id] = true
		}
		if rp, ok := p["RedrivePolicy"].(map[string]any); ok {
			dlqOf[id] = refTarget(rp["deadLetterTargetArn"])
			if dlqOf[id] == "" {
				c.add(id, "RedrivePolicy's deadLetterTargetArn does not name a queue of this template")
				continue
			}
			isDLQ[dlqOf[id]] = true
		}
	}
	alarmed := c.dlqAlarms()
	for _, id := range queues {
		p := props(c.t.Resources[id])
		name, _ := p["QueueName"].(string)
		if isDLQ[id] {
			if !alarmed[name] {
				c.add(id, "dead-letter queue %s has no alarm on ApproximateNumberOfMessagesVisible > 0: failed jobs would wait unseen", name)
			}
			continue
		}
		dlq, ok := dlqOf[id]
		if !ok {
			c.add(id, "queue %s has no dead-letter queue (no RedrivePolicy): a job that always fails would be received forever", name)
			continue
		}
		d, ok := c.t.Resources[dlq]
		if !ok || d["Type"] != "AWS::SQS::Queue" {
			c.add(id, "queue %s's RedrivePolicy names dead-letter queue %s, which is not a queue of this template", name, dlq)
			continue
		}
		if rp := p["RedrivePolicy"].(map[string]any); rp["maxReceiveCount"] == nil {
			c.add(id, "queue %s's RedrivePolicy has no maxReceiveCount", name)
		}
		qr, ok1 := number(p["MessageRetentionPeriod"])
		dr, ok2 := number(props(d)["MessageRetentionPeriod"])
		if !ok1 {
			qr = 4 * 24 * 3600 // SQS's default
		}
		if !ok2 || dr <= qr {
			c.add(dlq, "dead-letter queue of %s keeps messages %vs, not longer than its queue's %vs: SQS keeps a message's first enqueue time, so it would expire early", name, dr, qr)
		}
	}
}

// dlqAlarms returns the queue names with a "depth > 0" alarm.
func (c *checker) dlqAlarms() map[string]bool {
	out := map[string]bool{}
	for _, id := range c.ofType("AWS::CloudWatch::Alarm") {
		p := props(c.t.Resources[id])
		if p["MetricName"] != "ApproximateNumberOfMessagesVisible" || p["ComparisonOperator"] != "GreaterThanThreshold" {
			continue
		}
		if th, ok := number(p["Threshold"]); !ok || th != 0 {
			continue
		}
		dims, _ := p["Dimensions"].([]any)
		for _, d := range dims {
			dm, _ := d.(map[string]any)
			if dm["Name"] == "QueueName" {
				if v, ok := dm["Value"].(string); ok {
					out[v] = true
				}
			}
		}
	}
	return out
}

// --- IAM ---

// noResourceLevel are actions IAM cannot scope to a resource: "*" is the
// only Resource they take.
var noResourceLevel = map[string]bool{
	"ecr:GetAuthorizationToken": true,
	"sns:ListTopics":            true,
	"ses:GetAccount":            true,
	"cloudwatch:PutMetricData":  true,
}

// namedServices are services whose resources Quarry always knows by name:
// a wildcard in their names means a grant wider than the topology.
var namedServices = []string{"sqs", "sns"}

// subVars are Fn::Sub's ${...} references.
var subVars = regexp.MustCompile(`\$\{[^}]*\}`)

func strings1(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, strings1(e)...)
		}
		return out
	case map[string]any:
		// Fn::Sub's template is the resource's shape.
		if s, ok := v["Fn::Sub"].(string); ok {
			return []string{s}
		}
		if l, ok := v["Fn::Sub"].([]any); ok && len(l) > 0 {
			return strings1(l[0])
		}
		return []string{"{{intrinsic}}"}
	}
	return nil
}

func (c *checker) iam() {
	ids := make([]string, 0, len(c.t.Resources))
	for id := range c.t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		walkStatements(props(c.t.Resources[id]), func(st map[string]any) {
			if st["Effect"] != "Allow" {
				return
			}
			actions := strings1(st["Action"])
			sid, _ := st["Sid"].(string)
			where := "statement " + sid
			if sid == "" {
				where = "a statement"
			}
			for _, a := range actions {
				if a == "*" || strings.HasSuffix(a, ":*") {
					c.add(id, "%s allows action %q: name the actions the role calls", where, a)
				}
			}
			if st["Principal"] == "*" && st["Condition"] == nil {
				c.add(id, "%s allows any principal with no condition", where)
			}
			for _, r := range strings1(st["Resource"]) {
				if r == "*" {
					if !slices.ContainsFunc(actions, func(a string) bool { return !noResourceLevel[a] }) {
						continue
					}
					c.add(id, "%s grants %v on every resource (\"*\"): name the queues, topics and objects instead", where, actions)
					continue
				}
				parts := strings.SplitN(subVars.ReplaceAllString(r, "VAR"), ":", 6)
				if len(parts) == 6 && slices.Contains(namedServices, parts[2]) && strings.Contains(parts[5], "*") {
					c.add(id, "%s grants %s resources by wildcard %q where the name is known", where, parts[2], r)
				}
			}
		})
	}
}

// walkStatements calls f for each statement of every policy document in v.
func walkStatements(v any, f func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		if st, ok := v["Statement"]; ok {
			switch st := st.(type) {
			case []any:
				for _, s := range st {
					if m, ok := s.(map[string]any); ok {
						f(m)
					}
				}
			case map[string]any:
				f(st)
			}
		}
		for _, e := range v {
			walkStatements(e, f)
		}
	case []any:
		for _, e := range v {
			walkStatements(e, f)
		}
	}
}

// --- ECS ---

func (c *checker) stopTimeouts() {
	limit := ecstask.MaxFargateStopTimeout.Seconds()
	for _, id := range c.ofType("AWS::ECS::TaskDefinition") {
		p := props(c.t.Resources[id])
		fargate := slices.Contains(strings1(p["RequiresCompatibilities"]), "FARGATE")
		defs, _ := p["ContainerDefinitions"].([]any)
		for _, d := range defs {
			cd, _ := d.(map[string]any)
			name, _ := cd["Name"].(string)
			st, ok := number(cd["StopTimeout"])
			switch {
			case !ok:
				c.add(id, "container %s has no StopTimeout: ECS would give it %v after SIGTERM whatever its soft-stop", name, ecstask.DefaultStopTimeout)
			case fargate && st > limit:
				c.add(id, "container %s's StopTimeout %vs is over Fargate's maximum of %vs", name, st, limit)
			case st != math.Trunc(st) || st < 1:
				c.add(id, "container %s's StopTimeout %v is not a whole number of seconds", name, st)
			}
		}
	}
}

func (c *checker) subscriptions() {
	for _, id := range c.ofType("AWS::SNS::Subscription") {
		fp, ok := props(c.t.Resources[id])["FilterPolicy"].(map[string]any)
		if !ok || len(fp) == 0 {
			c.add(id, "subscription has no FilterPolicy: its queue would receive every message of the topic")
		}
	}
}

// scaling: every service has a scalable target with a backlog target
// tracking policy, and one that may be at zero tasks a step policy to
// start again.
func (c *checker) scaling() {
	targets := map[string]string{} // service name → scalable target id
	for _, id := range c.ofType("AWS::ApplicationAutoScaling::ScalableTarget") {
		rid, _ := props(c.t.Resources[id])["ResourceId"].(string)
		if i := strings.LastIndex(rid, "/"); i >= 0 {
			targets[rid[i+1:]] = id
		}
	}
	policies := map[string][]string{} // target id → policy types
	for _, id := range c.ofType("AWS::ApplicationAutoScaling::ScalingPolicy") {
		p := props(c.t.Resources[id])
		t := refTarget(p["ScalingTargetId"])
		typ, _ := p["PolicyType"].(string)
		policies[t] = append(policies[t], typ)
	}
	for _, id := range c.ofType("AWS::ECS::Service") {
		name, _ := props(c.t.Resources[id])["ServiceName"].(string)
		tid, ok := targets[name]
		if !ok {
			c.add(id, "service %s has no scalable target: it would not scale on its backlog", name)
			continue
		}
		if !slices.Contains(policies[tid], "TargetTrackingScaling") {
			c.add(tid, "service %s has no target tracking policy on backlog per task", name)
		}
		if min, _ := number(props(c.t.Resources[tid])["MinCapacity"]); min == 0 && !slices.Contains(policies[tid], "StepScaling") {
			c.add(tid, "service %s may scale to zero tasks but has no step policy to start again (target tracking has no datapoint at zero)", name)
		}
	}
}
