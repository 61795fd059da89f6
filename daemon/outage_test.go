package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newswatch/newswatch/fetch"
	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// cutProxy forwards TCP to PostgreSQL until cut: then it drops every
// connection and refuses new ones, as a database outage or a failover
// does, until restored.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go p.serve()
	return p
}

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *cutProxy) pipe(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[s] = true, true
	p.mu.Unlock()
	go func() { io.Copy(s, c); s.Close() }()
	io.Copy(c, s)
	c.Close()
}

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *cutProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// TestDatabaseOutageLosesNothing: the database goes away for a few seconds
// (every connection dropped, new ones refused) while a feed keeps
// publishing. /readyz fails meanwhile; afterwards every article is alerted
// exactly once.
func TestDatabaseOutageLosesNothing(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newCutProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	q := u.Query()
	q.Set("connect_timeout", "1")
	u.RawQuery = q.Encode()

	srv := newFeedServer(t)
	start := time.Now()
	const stories = 8
	srv.handle("/wire.xml", func(w http.ResponseWriter, r *http.Request) {
		var items []rssItem
		for i := range min(stories, 1+int(time.Since(start)/(600*time.Millisecond))) {
			items = append(items, rssItem{guid: fmt.Sprint(i), link: fmt.Sprintf("%s/%d", srv.URL, i),
				title: fmt.Sprintf("Donetsk report %d %s", i, strings.Repeat(fmt.Sprintf("x%d ", i), i+1)),
				desc:  fmt.Sprintf("Words of report %d only: %s", i, strings.Repeat(fmt.Sprintf("r%dw ", i), 30)), pub: recent(time.Hour)})
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, rss(items...))
	})
	h := &harness{t: t, dir: t.TempDir(), out: &syncBuffer{}, logs: &syncBuffer{}}
	h.cfgSrc = fmt.Sprintf(replicaConfig, srv.URL, u.String())
	h.writeConfig(h.cfgSrc)
	d, err := New(context.Background(), h.loadConfig(), Options{
		Version: "test", Logger: slog.New(slog.NewTextHandler(h.logs, nil)), Stdout: h.out, LookupEnv: noEnv,
		Fetch: &fetch.Options{Timeout: 2 * time.Second, Unpaced: true}, ClaimLease: 2 * time.Second, TickLease: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.d = d
	t.Cleanup(func() { d.Close() })
	addr, stop := runDaemon(t, h)
	defer stop()

	eventually(t, "the first alert", func() bool { return strings.Contains(h.out.String(), "Donetsk report 0") })
	proxy.cut()
	time.Sleep(500 * time.Millisecond)
	if code, _ := get(t, "http://"+addr+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage = %d, want 503", code)
	}
	time.Sleep(2500 * time.Millisecond)
	proxy.restore()
	eventually(t, "every alert", func() bool {
		return strings.Contains(h.out.String(), fmt.Sprintf("Donetsk report %d", stories-1))
	})
	time.Sleep(1500 * time.Millisecond) // a repeat would come now
	if !strings.Contains(h.logs.String(), "cannot claim ticks") {
		t.Errorf("the outage was not noticed:\n%s", h.logs.String())
	}
	out := h.out.String()
	for i := range stories {
		if n := strings.Count(out, fmt.Sprintf("Donetsk report %d ", i)); n != 1 {
			t.Errorf("report %d alerted %d times, want once", i, n)
		}
	}
	if code, _ := get(t, "http://"+addr+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after the outage = %d, want 200", code)
	}
}
