package ecstask

import (
	"strings"
	"testing"
	"time"
)

func TestStopTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		soft    time.Duration
		fargate bool
		want    int
		err     string
	}{
		{DefaultSoftStop, true, 30, ""},
		{100 * time.Second, true, 110, ""},
		{110 * time.Second, true, 120, ""},
		{110*time.Second + time.Millisecond, true, 0, "over Fargate's maximum"},
		{300 * time.Second, false, 310, ""},
		{1500 * time.Millisecond, true, 12, ""},
		{0, true, 0, "must be positive"},
	} {
		got, err := StopTimeout(tc.soft, tc.fargate)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("StopTimeout(%v, %v) err = %v, want %q", tc.soft, tc.fargate, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("StopTimeout(%v, %v) = %d, %v; want %d", tc.soft, tc.fargate, got, err, tc.want)
		}
	}
	if DefaultSoftStop+GiveBackTime != DefaultStopTimeout {
		t.Errorf("default soft-stop %v + give-back %v does not fill ECS's default stopTimeout %v", DefaultSoftStop, GiveBackTime, DefaultStopTimeout)
	}
}
