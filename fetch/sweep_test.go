package fetch

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// A daemon meets ever new hosts (redirect targets, subdomains a listing
// page links to); the per-host table must forget the idle ones, but never
// a host in use, in Retry-After backoff, or before its bucket refilled.
func TestHostTableSwept(t *testing.T) {
	o := testOptions()
	o.Feeds, o.Unpaced = Pace{Rate: 1, Burst: 1, Conns: 2}, false
	o.Pages = o.Feeds
	c := New(o)
	clock := &fakeClock{t: time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)}
	c.now = clock.Now
	ctx := context.Background()
	use := func(key string) {
		t.Helper()
		_, release, err := c.acquire(ctx, key, feedClass)
		if err != nil {
			t.Fatal(err)
		}
		release()
	}
	busy, releaseBusy, err := c.acquire(ctx, "busy.test", feedClass)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseBusy()
	h, release, err := c.acquire(ctx, "backoff.test", feedClass)
	if err != nil {
		t.Fatal(err)
	}
	c.adapt(h, outcome{resp: &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"3600"}}}})
	release()
	for i := range 8 * sweepMin {
		use(fmt.Sprintf("h%d.test", i))
		clock.Advance(time.Second)
	}
	use("recent.test")
	recent := c.hosts["recent.test"]
	sweep := func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.hostsSweepAt = 0
		c.sweepHosts()
	}
	sweep()
	if n := len(c.hosts); n > 2*sweepMin {
		t.Errorf("per-host table holds %d hosts after %d idle ones, want at most %d", n, 8*sweepMin, 2*sweepMin)
	}
	if c.hosts["recent.test"] != recent {
		t.Error("a host within its politeness delay was forgotten")
	}
	if c.hosts["busy.test"] != busy {
		t.Error("a host in use was forgotten (its concurrency limit would be lost)")
	}
	if c.hosts["backoff.test"] != h {
		t.Error("a host in Retry-After backoff was forgotten")
	}
	clock.Advance(time.Second)
	sweep()
	if _, ok := c.hosts["recent.test"]; ok {
		t.Error("an idle host past its delay was kept")
	}
}

// The robots.txt cache forgets expired entries, but not one in use.
func TestRobotsCacheSwept(t *testing.T) {
	c := New(testOptions())
	clock := &fakeClock{t: time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)}
	c.now = clock.Now
	fill := func(prefix string) {
		for i := range 4 * sweepMin {
			e := c.robotsEntry(fmt.Sprintf("http://%s%d.test", prefix, i))
			e.expires = clock.Now().Add(robotsTTL)
		}
	}
	inUse := c.robotsEntry("http://in-use.test")
	inUse.mu.Lock()
	fill("a")
	if n := len(c.robots); n < 4*sweepMin {
		t.Fatalf("cache holds %d entries, want every unexpired one", n)
	}
	clock.Advance(robotsTTL + time.Second)
	fill("b")
	inUse.mu.Unlock()
	if n := len(c.robots); n > 4*sweepMin+sweepMin {
		t.Errorf("cache holds %d entries after %d expired, want the expired ones gone", n, 4*sweepMin)
	}
	if c.robots["http://in-use.test"] != inUse {
		t.Error("an entry in use was dropped")
	}
}

// A host whose rate trouble lowered is kept (with its penalty) while it is
// in use or recently so, and may be forgotten after forgetPenalty alone.
func TestPenalisedHostSwept(t *testing.T) {
	o := testOptions()
	o.Unpaced = false
	c := New(o)
	clock := &fakeClock{t: time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)}
	c.now = clock.Now
	h, release, err := c.acquire(context.Background(), "sick.test", feedClass)
	if err != nil {
		t.Fatal(err)
	}
	c.adapt(h, outcome{resp: &http.Response{StatusCode: http.StatusInternalServerError}})
	release()
	sweep := func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.hostsSweepAt = 0
		c.sweepHosts()
	}
	clock.Advance(forgetPenalty - time.Second)
	sweep()
	if c.hosts["sick.test"] != h {
		t.Fatal("a host lowered less than forgetPenalty ago was forgotten, and its penalty with it")
	}
	clock.Advance(2 * time.Second)
	sweep()
	if _, ok := c.hosts["sick.test"]; ok {
		t.Error("a lowered host left alone for forgetPenalty was kept")
	}
}
