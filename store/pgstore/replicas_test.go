package pgstore

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// TestHeartbeats: two replicas on their own pools see each other; one that
// stops beating turns dead after AliveWithin; a reload's new config hash
// shows; Leave and PruneReplicas remove rows.
func TestHeartbeats(t *testing.T) {
	t.Parallel()
	c := newClock()
	dsn := pgtest.NewDatabase(t)
	opts := Options{Now: c.Now, AliveWithin: 30 * time.Second}
	s1, s2 := openTest(t, dsn, opts), openTest(t, dsn, opts)
	ctx := context.Background()
	t0 := c.Now()
	a := Replica{ID: "a", Host: "h1", PID: 10, Version: "v1", ConfigHash: "c1", Started: t0.Add(-time.Hour)}
	b := Replica{ID: "b", Host: "h2", PID: 20, Version: "v1", ConfigHash: "c1"}
	beat := func(s *Store, r Replica) {
		t.Helper()
		if err := s.Heartbeat(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	list := func(s *Store) []Replica {
		t.Helper()
		rs, err := s.Replicas(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	beat(s1, a)
	beat(s2, b)
	rs := list(s1)
	want := []Replica{
		{ID: "a", Host: "h1", PID: 10, Version: "v1", ConfigHash: "c1", Started: t0.Add(-time.Hour), LastSeen: t0, Alive: true},
		{ID: "b", Host: "h2", PID: 20, Version: "v1", ConfigHash: "c1", Started: t0, LastSeen: t0, Alive: true},
	}
	if !slices.Equal(rs, want) {
		t.Fatalf("replicas = %+v\nwant %+v", rs, want)
	}
	if !ConfigsAgree(rs) || len(Disagreeing(rs, "c1")) != 0 {
		t.Errorf("configs c1, c1 do not agree")
	}

	// b reloads a different config; a goes quiet.
	c.Set(t0.Add(20 * time.Second))
	b.ConfigHash = "c2"
	beat(s2, b)
	rs = list(s1)
	if ConfigsAgree(rs) {
		t.Errorf("configs c1, c2 agree")
	}
	if d := Disagreeing(rs, "c1"); len(d) != 1 || d[0].ID != "b" {
		t.Errorf("disagreeing with c1 = %+v, want b", d)
	}
	if !rs[1].Started.Equal(t0) || !rs[1].LastSeen.Equal(c.Now()) {
		t.Errorf("b after its second beat = %+v: started must stay, last seen move", rs[1])
	}

	c.Set(t0.Add(30*time.Second + time.Microsecond))
	rs = list(s2)
	if rs[0].Alive || !rs[1].Alive {
		t.Fatalf("after a's silence of 30s: %+v, want a dead, b alive", rs)
	}
	if !ConfigsAgree(rs) {
		t.Errorf("a dead replica's config still counts")
	}

	if err := s2.Leave(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	c.Set(t0.Add(time.Hour))
	if n, err := s1.PruneReplicas(ctx, 30*time.Minute); err != nil || n != 1 {
		t.Errorf("prune = %d, %v; want a's row", n, err)
	}
	if rs := list(s1); len(rs) != 0 {
		t.Errorf("after leave and prune: %+v", rs)
	}
}

func TestConfigsAgree(t *testing.T) {
	alive := func(h string) Replica { return Replica{ConfigHash: h, Alive: true} }
	dead := func(h string) Replica { return Replica{ConfigHash: h} }
	for _, tt := range []struct {
		name string
		rs   []Replica
		want bool
	}{
		{"none", nil, true},
		{"one", []Replica{alive("x")}, true},
		{"same", []Replica{alive("x"), alive("x"), alive("x")}, true},
		{"differ", []Replica{alive("x"), alive("x"), alive("y")}, false},
		{"dead differs", []Replica{dead("y"), alive("x"), alive("x")}, true},
		{"empty hash differs", []Replica{alive(""), alive("x")}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := ConfigsAgree(tt.rs); got != tt.want {
				t.Errorf("ConfigsAgree = %v, want %v", got, tt.want)
			}
		})
	}
}
