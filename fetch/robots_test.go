package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

func TestRobotsAllowed(t *testing.T) {
	const robots = "User-agent: *\nDisallow: /private\n\n" +
		"User-agent: newswatch-test\nDisallow: /news/drafts\nAllow: /news/drafts/public\n"
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			fmt.Fprint(w, robots)
		}
	})
	c := New(testOptions())
	tests := []struct {
		path string
		want bool
	}{
		{"/news/1", true},
		{"/news/drafts/2", false},
		{"/news/drafts/public/3", true},
		{"/private", true}, // our group is the most specific and says nothing of /private
		{"/", true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := c.RobotsAllowed(context.Background(), srv.URL+tt.path, true)
			if err != nil || got != tt.want {
				t.Errorf("RobotsAllowed(%s) = %v, %v; want %v", tt.path, got, err, tt.want)
			}
		})
	}
}

func TestRobotsCacheAndStatus(t *testing.T) {
	var status atomic.Int64
	var robotsHits atomic.Int64
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/robots.txt" {
			return
		}
		robotsHits.Add(1)
		if s := int(status.Load()); s != 200 {
			w.WriteHeader(s)
			return
		}
		fmt.Fprint(w, "User-agent: *\nDisallow: /\n")
	})
	c := New(testOptions())
	clock := &fakeClock{t: time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)}
	c.now = clock.Now
	check := func(want bool, wantHits int64) {
		t.Helper()
		got, err := c.RobotsAllowed(context.Background(), srv.URL+"/a", true)
		if err != nil || got != want {
			t.Fatalf("RobotsAllowed = %v, %v; want %v", got, err, want)
		}
		if robotsHits.Load() != wantHits {
			t.Fatalf("robots.txt fetched %d times, want %d", robotsHits.Load(), wantHits)
		}
	}
	status.Store(404)
	check(true, 1) // missing robots.txt allows
	check(true, 1) // cached
	status.Store(200)
	clock.Advance(59 * time.Minute)
	check(true, 1) // still cached
	clock.Advance(2 * time.Minute)
	check(false, 2) // expired: refetched, now disallows
	status.Store(500)
	clock.Advance(61 * time.Minute)
	check(false, 3) // 5xx: disallow for now
	status.Store(404)
	clock.Advance(5 * time.Minute)
	check(false, 3) // the 5xx verdict is cached, briefly
	clock.Advance(6 * time.Minute)
	check(true, 4)
}

func TestRobotsGuarded(t *testing.T) {
	srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) {})
	_, err := New(testOptions()).RobotsAllowed(context.Background(), srv.URL+"/page", false)
	if !errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("err = %v, want ErrBlockedAddress", err)
	}
	if hits.Load() != 0 {
		t.Errorf("server saw %d requests", hits.Load())
	}
}
