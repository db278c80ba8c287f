package messages_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/messages"
)

func TestOutcomes(t *testing.T) {
	t.Parallel()
	base := errors.New("smtp said no")
	for _, tc := range []struct {
		name      string
		err       error
		permanent bool
		delay     time.Duration
		retry     bool
	}{
		{"nil", nil, false, 0, false},
		{"plain", base, false, 0, false},
		{"permanent", messages.Permanent(base), true, 0, false},
		{"wrapped permanent", fmt.Errorf("render: %w", messages.Permanent(base)), true, 0, false},
		{"permanent nil", messages.Permanent(nil), true, 0, false},
		{"retry after", messages.RetryAfter(3*time.Second, base), false, 3 * time.Second, true},
		{"wrapped retry after", fmt.Errorf("send: %w", messages.RetryAfter(time.Minute, base)), false, time.Minute, true},
		{"negative delay", messages.RetryAfter(-time.Second, base), false, 0, true},
		{"validation error", &messages.ValidationError{Field: "job.type", Reason: "x"}, true, 0, false},
		{"wrapped validation error", fmt.Errorf("decode: %w", &messages.ValidationError{Field: "f", Reason: "x"}), true, 0, false},
		{"outermost wins: retry over permanent", messages.RetryAfter(time.Second, messages.Permanent(base)), false, time.Second, true},
		{"outermost wins: permanent over retry", messages.Permanent(messages.RetryAfter(time.Second, base)), true, 0, false},
		{"joined", errors.Join(base, messages.Permanent(base)), true, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := messages.IsPermanent(tc.err); got != tc.permanent {
				t.Errorf("IsPermanent = %v, want %v", got, tc.permanent)
			}
			d, ok := messages.RetryDelay(tc.err)
			if ok != tc.retry || d != tc.delay {
				t.Errorf("RetryDelay = %v, %v; want %v, %v", d, ok, tc.delay, tc.retry)
			}
		})
	}
	if !errors.Is(fmt.Errorf("x: %w", messages.Permanent(base)), base) {
		t.Error("Permanent does not unwrap to its cause")
	}
	if got := messages.Permanent(base).Error(); got != "smtp said no" {
		t.Errorf("Permanent(err).Error() = %q, want the reason unchanged", got)
	}
}
