package main

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// feedServer serves feeds /feed/0 ... /feed/N-1 on many loopback hosts
// (any feed on any host: the config spreads them). A feed's content is a
// function of the pass, the current multiple of every since the epoch:
// each pass adds one new item to every feed (and drops the oldest of its
// window), and every wireEvery-th feed also carries a copy of that pass's
// wire story, lightly edited, which the rule matches; so a pass records
// about N + N/wireEvery articles and folds the copies into one story.
type feedServer struct {
	every   time.Duration
	latency time.Duration
	addrs   []string
	srv     *http.Server

	mu  sync.Mutex
	win window // requests since the last reset
}

// window counts requests since a reset.
type window struct {
	ok, notModified int64
	first, last     time.Time
}

const (
	itemsPerFeed = 5  // the window of items a feed shows
	wireEvery    = 20 // every 20th feed carries the pass's wire story
)

func startFeedServer(hosts int, every, latency time.Duration) (*feedServer, error) {
	f := &feedServer{every: every, latency: latency}
	f.srv = &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 10 * time.Second}
	for i := range hosts {
		ln, err := net.Listen("tcp", net.JoinHostPort(hostOf(i), "0"))
		if err != nil {
			f.srv.Close()
			return nil, err
		}
		go func() { _ = f.srv.Serve(ln) }()
		f.addrs = append(f.addrs, ln.Addr().String())
	}
	return f, nil
}

// hostOf is loopback host i (0-based): 127.0.0.2 ... 127.0.0.251, then
// 127.0.1.2 ..., all loopback on Linux.
func hostOf(i int) string { return fmt.Sprintf("127.0.%d.%d", i/250, 2+i%250) }

// URL is feed i's address, on host i mod hosts (feeds interleaved over
// hosts, as real sources are).
func (f *feedServer) URL(i int) string {
	return "http://" + f.addrs[i%len(f.addrs)] + "/feed/" + strconv.Itoa(i)
}

func (f *feedServer) Close() { _ = f.srv.Close() }

// reset starts a new count and returns the one it ends.
func (f *feedServer) reset() window {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.win
	f.win = window{}
	return w
}

func (f *feedServer) count(ok bool) {
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if ok {
		f.win.ok++
	} else {
		f.win.notModified++
	}
	if f.win.first.IsZero() {
		f.win.first = now
	}
	f.win.last = now
}

func (f *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/feed/"))
	if err != nil || n < 0 {
		http.NotFound(w, r)
		return
	}
	if f.latency > 0 {
		select {
		case <-time.After(f.latency):
		case <-r.Context().Done():
			return
		}
	}
	pass := time.Now().UnixMicro() / f.every.Microseconds()
	etag := fmt.Sprintf(`"%d-%d"`, n, pass)
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		f.count(false)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	f.count(true)
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	_, _ = w.Write(feedDoc(n, pass, f.every))
}

// feedDoc is feed n as it reads during pass.
func feedDoc(n int, pass int64, every time.Duration) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed %d</title><link>http://feeds.example/%d</link>`, n, n)
	for k := range int64(itemsPerFeed) {
		p := pass - k
		wire := ""
		if n%wireEvery == 0 {
			wire = wireText(p)
		}
		pub := time.UnixMicro(p * every.Microseconds()).UTC().Format(time.RFC1123Z)
		fmt.Fprintf(&b, `<item><title>Feed %d report %d: council weighs the harbour budget</title>`+
			`<link>http://feeds.example/%d/report/%d</link><guid>f%d-r%d</guid><pubDate>%s</pubDate>`+
			`<description>Councillors of district %d met on item %d of the agenda and adjourned.</description></item>`,
			n, p, n, p, n, p, pub, n, p)
		if wire != "" {
			// One wire story per pass, carried by every wireEvery-th
			// feed under its own link, with the outlet's own sign-off.
			fmt.Fprintf(&b, `<item><title>Kremlin says talks on the grain corridor will resume (%d)</title>`+
				`<link>http://outlet%d.example/wire/%d</link><guid>f%d-w%d</guid><pubDate>%s</pubDate>`+
				`<description>%s Reported by outlet %d.</description></item>`,
				p, n, p, n, p, pub, wire, n)
		}
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

// wireText is pass p's wire story: the same words in every copy of the
// pass, drawn afresh each pass, so that a pass's copies are one story and
// two passes' are different stories.
func wireText(p int64) string {
	rng := rand.New(rand.NewPCG(uint64(p), 42))
	words := make([]string, 80)
	for i := range words {
		words[i] = vocabulary[rng.IntN(len(vocabulary))]
	}
	return "The Kremlin said " + strings.Join(words, " ") + "."
}

var vocabulary = strings.Fields(`grain corridor talks resume Istanbul officials Russia Ukraine Turkey
	United Nations inspections ships ports Odesa spokesman delegations insurance vessels schedule
	payments ministers agreement harvest wheat barley exports convoy navy mines shipping rates
	tanker freight buyers Egypt Lebanon prices sanctions bank fertiliser ammonia pipeline envoy
	summit ceasefire prisoners exchange drones refinery border customs warehouse silos railway
	Danube Romania Bulgaria Bosporus captain crew cargo tonnes quota tariff brokers auction`)
