package localaws

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// Faults injects the failures a client of AWS must survive. Rates are shares
// from 0 to 1. Rate maps are keyed by "service.Action" (sqs.ReceiveMessage),
// by "Action" alone (any service), by "service.*" or by "*".
type Faults struct {
	// DuplicateRate is the share of received SQS messages handed out twice,
	// as standard queues may.
	DuplicateRate float64
	// ErrorRates answer a share of calls with a 500 InternalError.
	ErrorRates map[string]float64
	// ThrottleRates answer a share of calls with the service's throttling
	// error (SQS RequestThrottled, SNS Throttled, SES TooManyRequestsException,
	// S3 SlowDown).
	ThrottleRates map[string]float64
	// Latency is added before every AWS call is answered.
	Latency time.Duration
	// Latencies replace Latency for the calls they name, keyed as the rate
	// maps are ("ses.SendEmail": 2s holds every SendEmail for 2 s before
	// it is carried out, a window in which its client may die).
	Latencies map[string]time.Duration
}

func (f Faults) validate() error {
	if f.DuplicateRate < 0 || f.DuplicateRate > 1 {
		return fmt.Errorf("localaws: duplicate rate %v is not between 0 and 1", f.DuplicateRate)
	}
	for _, m := range []map[string]float64{f.ErrorRates, f.ThrottleRates} {
		for k, v := range m {
			if v < 0 || v > 1 {
				return fmt.Errorf("localaws: fault rate %v for %q is not between 0 and 1", v, k)
			}
		}
	}
	if f.Latency < 0 {
		return fmt.Errorf("localaws: negative latency %v", f.Latency)
	}
	for k, v := range f.Latencies {
		if v < 0 {
			return fmt.Errorf("localaws: negative latency %v for %q", v, k)
		}
	}
	return nil
}

// ParseLatencies reads "ses.SendEmail=2s,ReceiveMessage=50ms" into a
// latency map, as the --fault-latency-for flag takes it.
func ParseLatencies(s string) (map[string]time.Duration, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]time.Duration{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("fault latency %q: want ACTION=DURATION", part)
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("fault latency %q: want a non-negative duration such as 2s", part)
		}
		out[k] = d
	}
	return out, nil
}

func latencyFor(f Faults, service, action string) time.Duration {
	for _, k := range []string{service + "." + action, action, service + ".*", "*"} {
		if v, ok := f.Latencies[k]; ok {
			return v
		}
	}
	return f.Latency
}

// ParseRates reads "Action=0.1,sqs.SendMessage=0.5" into a rate map, as the
// --fault-error and --fault-throttle flags take it.
func ParseRates(s string) (map[string]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]float64{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("fault rate %q: want ACTION=RATE", part)
		}
		var rate float64
		if _, err := fmt.Sscanf(v, "%g", &rate); err != nil || rate < 0 || rate > 1 {
			return nil, fmt.Errorf("fault rate %q: rate must be a number from 0 to 1", part)
		}
		out[k] = rate
	}
	return out, nil
}

type faultInjector struct {
	f   Faults
	mu  sync.Mutex
	rnd *rand.Rand
}

func newFaultInjector(f Faults) *faultInjector {
	return &faultInjector{f: f, rnd: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
}

func rateFor(m map[string]float64, service, action string) float64 {
	if len(m) == 0 {
		return 0
	}
	for _, k := range []string{service + "." + action, action, service + ".*", "*"} {
		if v, ok := m[k]; ok {
			return v
		}
	}
	return 0
}

func (fi *faultInjector) roll(rate float64) bool {
	if rate <= 0 {
		return false
	}
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.rnd.Float64() < rate
}

// before runs ahead of every AWS call: it sleeps for the configured latency
// and may answer the call with an injected error instead. A call whose
// client goes away during the latency is still carried out, as AWS may
// carry out a request whose answer never reaches its client.
func (fi *faultInjector) before(ctx context.Context, service, action string) *awsproto.Error {
	if d := latencyFor(fi.f, service, action); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	if fi.roll(rateFor(fi.f.ErrorRates, service, action)) {
		e := awsproto.InternalError("injected fault: internal error")
		if service == svcSES {
			e.Code, e.Type = "InternalFailure", "InternalFailure"
		}
		return e
	}
	if fi.roll(rateFor(fi.f.ThrottleRates, service, action)) {
		switch service {
		case svcSQS:
			return &awsproto.Error{Status: http.StatusForbidden, Code: "RequestThrottled", Type: "RequestThrottled", Message: "injected fault: request throttled"}
		case svcSNS:
			return &awsproto.Error{Status: http.StatusTooManyRequests, Code: "Throttled", Type: "ThrottledException", Message: "injected fault: rate exceeded"}
		case svcSES:
			return &awsproto.Error{Status: http.StatusTooManyRequests, Code: "TooManyRequestsException", Type: "TooManyRequestsException", Message: "injected fault: Maximum sending rate exceeded."}
		default:
			return &awsproto.Error{Status: http.StatusServiceUnavailable, Code: "Throttling", Type: "SlowDown", Message: "injected fault: please reduce your request rate"}
		}
	}
	return nil
}
