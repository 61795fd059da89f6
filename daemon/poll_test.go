package daemon

import (
	"testing"
	"time"
)

func TestFailureBackoff(t *testing.T) {
	cases := []struct {
		failures int
		min, max time.Duration
	}{
		{1, 0, 0}, // first failure: just the next scheduled run
		{2, 54 * time.Second, 66 * time.Second},
		{3, 108 * time.Second, 132 * time.Second},
		{6, 864 * time.Second, 1056 * time.Second},
		{20, backoffMax * 9 / 10, backoffMax * 11 / 10},
		{1000, backoffMax * 9 / 10, backoffMax * 11 / 10},
	}
	for _, c := range cases {
		for range 50 { // jittered: every draw must stay in range
			if got := failureBackoff(c.failures); got < c.min || got > c.max {
				t.Fatalf("failureBackoff(%d) = %v, want within [%v, %v]", c.failures, got, c.min, c.max)
			}
		}
	}
}
