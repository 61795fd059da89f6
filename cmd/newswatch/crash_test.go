package main

// The crash-injection test: the built binary under `run`, httptest feeds
// that keep publishing, and a fake Slack (Web API with message metadata and
// conversations.history/replies, or an incoming webhook) that is slow
// enough to keep a backlog. The daemon is killed at seeded random instants,
// some of them right after Slack accepted a post and before it answered,
// and restarted; then it drains. See docs/reliability.md for the long run:
//
//	NEWSWATCH_CRASH_KILLS=200 go test -run TestCrashInjection -v -timeout 60m ./cmd/newswatch/

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/newswatch/newswatch/store"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// newswatchBinary builds the real binary once per test process.
func newswatchBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "newswatch-crash-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "newswatch")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// crashSlack is a fake Slack: chat.postMessage with message metadata,
// conversations.history and conversations.replies as Slack documents them
// (channel ids, oldest exclusive, newest first, cursor paging, metadata
// only with include_all_metadata), and an incoming webhook.
type crashSlack struct {
	*httptest.Server
	mu     sync.Mutex
	seq    int
	msgs   []crashMsg
	hooks  []string // webhook texts
	accept time.Duration
	// hook, if set, runs once, after a post is stored and before it is
	// answered: the test kills the daemon there.
	hook func()
}

type crashMsg struct {
	channel, ts, threadTS, alertID, state, text string
	blocks                                      string // the Block Kit JSON as posted
}

func newCrashSlack(t *testing.T) *crashSlack {
	s := &crashSlack{accept: 120 * time.Millisecond}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat.postMessage", s.post)
	mux.HandleFunc("POST /api/conversations.history", s.history)
	mux.HandleFunc("POST /api/conversations.replies", s.history)
	mux.HandleFunc("POST /api/conversations.list", s.list)
	mux.HandleFunc("POST /hook", s.webhook)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *crashSlack) arm(h func()) {
	s.mu.Lock()
	s.hook = h
	s.mu.Unlock()
}

// accepted stores a post (already decided to be in the channel) and runs
// the armed hook.
func (s *crashSlack) accepted(store func()) {
	s.mu.Lock()
	store()
	h := s.hook
	s.hook = nil
	s.mu.Unlock()
	if h != nil {
		h()
	}
}

func (s *crashSlack) post(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	time.Sleep(s.accept) // Slack is slow: a backlog builds up
	var md struct {
		EventType    string            `json:"event_type"`
		EventPayload map[string]string `json:"event_payload"`
	}
	json.Unmarshal([]byte(r.PostForm.Get("metadata")), &md)
	var ts string
	ch := r.PostForm.Get("channel")
	if name, ok := strings.CutPrefix(ch, "#"); ok {
		ch = channelIDFor(name) // Slack answers with the channel's id
	}
	s.accepted(func() {
		s.seq++
		ts = fmt.Sprintf("%d.%06d", time.Now().Unix(), s.seq)
		s.msgs = append(s.msgs, crashMsg{channel: ch, ts: ts, threadTS: r.PostForm.Get("thread_ts"),
			alertID: md.EventPayload["alert_id"], state: md.EventPayload["state"], text: r.PostForm.Get("text"),
			blocks: r.PostForm.Get("blocks")})
	})
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q}`, ch, ts)
}

func (s *crashSlack) history(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	thread := ""
	if strings.HasSuffix(r.URL.Path, "replies") {
		thread = r.PostForm.Get("ts")
	}
	oldest, _ := strconv.ParseFloat(r.PostForm.Get("oldest"), 64)
	withMD := r.PostForm.Get("include_all_metadata") == "1"
	s.mu.Lock()
	var out []map[string]any
	for i := len(s.msgs) - 1; i >= 0; i-- {
		m := s.msgs[i]
		ts, _ := strconv.ParseFloat(m.ts, 64)
		if m.channel != r.PostForm.Get("channel") || ts <= oldest {
			continue
		}
		if (thread == "" && m.threadTS != "") || (thread != "" && m.ts != thread && m.threadTS != thread) {
			continue
		}
		msg := map[string]any{"type": "message", "ts": m.ts, "text": m.text}
		if withMD && m.alertID != "" {
			msg["metadata"] = map[string]any{"event_type": "newswatch_alert",
				"event_payload": map[string]any{"alert_id": m.alertID, "state": m.state}}
		}
		out = append(out, msg)
	}
	s.mu.Unlock()
	limit, _ := strconv.Atoi(r.PostForm.Get("limit"))
	start, _ := strconv.Atoi(r.PostForm.Get("cursor"))
	end := min(start+max(limit, 1), len(out))
	resp := map[string]any{"ok": true, "messages": out[min(start, len(out)):end], "has_more": end < len(out)}
	if end < len(out) {
		resp["response_metadata"] = map[string]any{"next_cursor": strconv.Itoa(end)}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

// list is conversations.list: the channels of the test, by name and id.
func (s *crashSlack) list(w http.ResponseWriter, r *http.Request) {
	var chans []map[string]string
	for _, kw := range crashKeywords {
		chans = append(chans, map[string]string{"id": channelIDFor(kw), "name": kw})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "channels": chans, "response_metadata": map[string]string{"next_cursor": ""}})
}

// crashKeywords are the test's stories' keywords; each has its channel.
var crashKeywords = []string{"alphakw", "bravokw", "charliekw", "deltakw"}

// channelIDFor is the id of a keyword's channel, as Slack would answer it.
func channelIDFor(kw string) string { return "C" + strings.ToUpper(kw[:5]) + "CH" }

func (s *crashSlack) webhook(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text string `json:"text"`
	}
	json.NewDecoder(r.Body).Decode(&body)
	time.Sleep(s.accept)
	s.accepted(func() { s.hooks = append(s.hooks, body.Text) })
	fmt.Fprint(w, "ok")
}

// crashFeeds publishes stories over time: per channel keyword, story i
// appears once the test has run i*every; "copies" republishes some of them
// from another outlet (follow-ups in the story's thread).
type crashFeeds struct {
	*httptest.Server
	start   time.Time
	every   time.Duration
	stories map[string][]crashStory // keyword -> stories
	copies  int                     // per keyword, the first copies stories are republished
}

type crashStory struct{ guid, title, body string }

func newCrashFeeds(t *testing.T, rng *rand.Rand, keywords []string, perKeyword, copies int) *crashFeeds {
	f := &crashFeeds{start: time.Now(), every: 700 * time.Millisecond, stories: map[string][]crashStory{}, copies: copies}
	vocab := make([]string, 600)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%03dx", i)
	}
	for _, kw := range keywords {
		for i := range perKeyword {
			words := make([]string, 40)
			for j := range words {
				words[j] = vocab[rng.IntN(len(vocab))]
			}
			f.stories[kw] = append(f.stories[kw], crashStory{guid: fmt.Sprintf("%s-%d", kw, i),
				title: fmt.Sprintf("%s dispatch %d %s %s", kw, i, words[0], words[1]), body: strings.Join(words, " ")})
		}
	}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *crashFeeds) revealed() int { return 2 + int(time.Since(f.start)/f.every) }

func (f *crashFeeds) serve(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), ".xml")
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>http://example.com/</link><description>d</description>`)
	pub := f.start.Add(-time.Hour).UTC().Format(time.RFC1123Z)
	n := f.revealed()
	for _, kw := range slices.Sorted(mapKeys(f.stories)) {
		for i, st := range f.stories[kw] {
			if i >= n || (name == "copies" && i >= f.copies) || (name != "copies" && name != kw) {
				continue
			}
			guid := st.guid
			if name == "copies" {
				guid = "copy-" + guid
			}
			fmt.Fprintf(&b, `<item><guid isPermaLink="false">%s</guid><title>%s</title><link>http://example.com/%s/%s</link><description>%s</description><pubDate>%s</pubDate></item>`,
				guid, st.title, name, st.guid, st.body, pub)
		}
	}
	b.WriteString(`</channel></rss>`)
	sum := sha256.Sum256([]byte(b.String()))
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, b.String())
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// daemonProc is one run of the binary.
type daemonProc struct {
	cmd  *exec.Cmd
	done chan struct{}
	code int
}

// startDaemon runs the binary under run without start jitter; env is added
// to the test's environment.
func startDaemon(t *testing.T, bin, cfg string, log *os.File, env ...string) *daemonProc {
	t.Helper()
	cmd := exec.Command(bin, "run", "-config", cfg, "-jitter", "0")
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &daemonProc{cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		p.code = cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	return p
}

func (p *daemonProc) signal(sig syscall.Signal) { p.cmd.Process.Signal(sig) }

type crashMode struct {
	name    string
	webhook bool
	sig     syscall.Signal
	kills   int
}

// TestCrashInjection: 0 alerts lost in every mode; 0 duplicates with a bot
// token (metadata + history lookups) and after SIGTERM; at most one repeat
// per SIGKILL with a webhook.
func TestCrashInjection(t *testing.T) {
	kills := 20
	if v, err := strconv.Atoi(os.Getenv("NEWSWATCH_CRASH_KILLS")); err == nil && v > 0 {
		kills = v
	}
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("NEWSWATCH_CRASH_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Logf("seed %d (NEWSWATCH_CRASH_SEED=%d reproduces it)", seed, seed)
	bin := newswatchBinary(t)
	for i, m := range []crashMode{
		{"token/SIGKILL", false, syscall.SIGKILL, kills},
		{"webhook/SIGKILL", true, syscall.SIGKILL, max(kills/2, 1)},
		{"token/SIGTERM", false, syscall.SIGTERM, max(kills/4, 1)},
		{"webhook/SIGTERM", true, syscall.SIGTERM, max(kills/4, 1)},
	} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			runCrashMode(t, bin, m, seed+uint64(i))
		})
	}
}

func runCrashMode(t *testing.T, bin string, m crashMode, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0))
	keywords := slices.Clone(crashKeywords)
	perKeyword, copies := 12+m.kills/3, 3
	if m.webhook {
		keywords, perKeyword, copies = keywords[:1], 10+m.kills/2, 2
	}
	feeds := newCrashFeeds(t, rng, keywords, perKeyword, copies)
	slack := newCrashSlack(t)
	dir := t.TempDir()
	cfgPath := writeCrashConfig(t, dir, feeds.URL, slack.URL, keywords, m.webhook)
	log, err := os.Create(filepath.Join(dir, "daemon.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("daemon log (last 4 KiB):\n%s", b[max(0, len(b)-4096):])
		}
	}()

	afterAccept := 0
	for k := range m.kills {
		before, _ := log.Stat()
		p := startDaemon(t, bin, cfgPath, log)
		if m.sig == syscall.SIGTERM {
			// A SIGTERM before the Go runtime has installed its handlers
			// kills the process whatever it does; wait for its first log
			// line (written after signal.NotifyContext).
			waitForOutput(log, before.Size(), p)
		}
		if rng.IntN(2) == 0 {
			fired := make(chan struct{})
			slack.arm(func() { p.signal(m.sig); close(fired) })
			select {
			case <-fired:
				afterAccept++
			case <-time.After(3 * time.Second): // nothing posted: kill anyway
				slack.arm(nil)
				p.signal(m.sig)
			case <-p.done:
			}
		} else {
			time.Sleep(time.Duration(200+rng.IntN(1300)) * time.Millisecond)
			p.signal(m.sig)
		}
		select {
		case <-p.done:
		case <-time.After(40 * time.Second):
			p.signal(syscall.SIGKILL)
			t.Fatalf("kill %d: the daemon did not exit after %v", k+1, m.sig)
		}
		if m.sig == syscall.SIGTERM && p.code != 0 {
			t.Errorf("kill %d: exit code %d after SIGTERM, want 0", k+1, p.code)
		}
	}
	drainCrashRun(t, bin, cfgPath, log, slack, feeds, m)
	checkCrashRun(t, dir, slack, feeds, m, afterAccept)
}

// waitForOutput waits until the log file grows (the daemon wrote its first
// line) or the process ends, 10 s at most.
func waitForOutput(log *os.File, size int64, p *daemonProc) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		select {
		case <-p.done:
			return
		case <-time.After(10 * time.Millisecond):
		}
		if fi, err := log.Stat(); err == nil && fi.Size() > size {
			return
		}
	}
}

func writeCrashConfig(t *testing.T, dir, feedURL, slackURL string, keywords []string, webhook bool) string {
	var b strings.Builder
	// Every story is its own alert here: the flood cap is lifted (digests
	// through crashes are TestFloodAndDigestEndToEnd's).
	fmt.Fprintf(&b, "state: %s\nlisten: \"\"\nschedule: \"@every 1s\"\nflood: {burst: 100000}\nslack:\n", filepath.Join(dir, "state.db"))
	if webhook {
		fmt.Fprintf(&b, "  webhook_url: %s/hook\n", slackURL)
	} else {
		fmt.Fprintf(&b, "  token: xoxb-crash-test\n  channel: %s\n  api_url: %s/api/\n", channelIDFor(keywords[0]), slackURL)
	}
	b.WriteString("sources:\n")
	for _, kw := range append(slices.Clone(keywords), "copies") {
		fmt.Fprintf(&b, "  - {name: %s, feed: \"%s/%s.xml\", allow_private: true}\n", kw, feedURL, kw)
	}
	b.WriteString("rules:\n")
	for i, kw := range keywords {
		ch := channelIDFor(kw)
		if i == len(keywords)-1 && !webhook {
			// One channel by name: its id comes from a post's answer or
			// conversations.list.
			ch = `"#` + kw + `"`
		}
		fmt.Fprintf(&b, "  - {name: %s, query: %s, channel: %s}\n", kw, kw, ch)
	}
	path := filepath.Join(dir, "newswatch.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// drainCrashRun runs the daemon until every story is delivered, then stops
// it with SIGTERM.
func drainCrashRun(t *testing.T, bin, cfgPath string, log *os.File, slack *crashSlack, feeds *crashFeeds, m crashMode) {
	for feeds.revealed() < len(feeds.stories[slices.Sorted(mapKeys(feeds.stories))[0]]) {
		time.Sleep(100 * time.Millisecond)
	}
	before, _ := log.Stat()
	p := startDaemon(t, bin, cfgPath, log)
	waitForOutput(log, before.Size(), p) // before the SIGTERM below
	want := 0
	for _, st := range feeds.stories {
		want += len(st)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if got := len(deliveredTitles(slack, m.webhook)); got >= want && pendingAlerts(t, cfgPath) == 0 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	p.signal(syscall.SIGTERM)
	<-p.done
	if p.code != 0 {
		t.Errorf("drain: exit code %d after SIGTERM", p.code)
	}
}

// deliveredTitles counts top-level posts per story title.
func deliveredTitles(s *crashSlack, webhook bool) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := map[string]int{}
	texts := s.hooks
	if !webhook {
		texts = nil
		for _, m := range s.msgs {
			if m.threadTS == "" {
				texts = append(texts, m.text)
			}
		}
	}
	for _, txt := range texts {
		if k := storyOf(txt); k != "" {
			n[k]++
		}
	}
	return n
}

// storyOf is the story key of an alert's text, "" when it names none.
func storyOf(text string) string {
	i := strings.Index(text, " dispatch ")
	if i < 0 {
		return ""
	}
	return storyKey(text[max(0, strings.LastIndex(text[:i], " ")+1):])
}

// storyKey is "<keyword> dispatch <n>" of a title or alert text.
func storyKey(s string) string {
	f := strings.Fields(s)
	if len(f) < 3 {
		return s
	}
	return strings.Join(f[:3], " ")
}

func pendingAlerts(t *testing.T, cfgPath string) int {
	st, err := store.OpenSQLiteReadOnly(context.Background(), filepath.Join(filepath.Dir(cfgPath), "state.db"))
	if err != nil {
		return -1
	}
	defer st.Close()
	c, err := st.AlertCounts(context.Background())
	if err != nil {
		return -1
	}
	return c.Pending
}

func checkCrashRun(t *testing.T, dir string, slack *crashSlack, feeds *crashFeeds, m crashMode, afterAccept int) {
	ctx := context.Background()
	st, err := store.OpenSQLiteReadOnly(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	counts, err := st.AlertCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stories, copies := 0, 0
	for _, s := range feeds.stories {
		stories += len(s)
		if !m.webhook { // a webhook cannot thread: a copy makes no alert
			copies += feeds.copies
		}
	}
	titles := deliveredTitles(slack, m.webhook)
	lost, repeats := 0, 0
	for _, list := range feeds.stories {
		for _, s := range list {
			n := titles[storyKey(s.title)]
			if n == 0 {
				lost++
			}
			repeats += max(n-1, 0)
		}
	}
	byID := map[string]int{}
	replies := 0
	slack.mu.Lock()
	for _, msg := range slack.msgs {
		byID[msg.alertID]++
		if msg.threadTS != "" {
			replies++
		}
	}
	posts := len(slack.msgs) + len(slack.hooks)
	slack.mu.Unlock()
	idRepeats := 0
	for _, n := range byID {
		idRepeats += n - 1
	}
	logText, _ := os.ReadFile(filepath.Join(dir, "daemon.log"))
	adopted := strings.Count(string(logText), "earlier post found in Slack")
	t.Logf("%s: %d kills (%d right after Slack accepted a post), %d stories + %d copies, outbox %+v, %d posts (%d thread replies), %d adopted after a lookup, %d lost, %d repeated",
		m.name, m.kills, afterAccept, stories, copies, counts, posts, replies, adopted, lost, max(repeats, idRepeats))
	if counts.Pending != 0 || counts.Failed != 0 || counts.Sent != stories+copies {
		t.Errorf("outbox %+v, want all %d alerts sent", counts, stories+copies)
	}
	if lost != 0 {
		t.Errorf("%d stories never reached Slack", lost)
	}
	switch {
	case !m.webhook || m.sig == syscall.SIGTERM:
		if repeats != 0 || idRepeats != 0 {
			t.Errorf("%d repeated posts (%d by outbox id), want 0", repeats, idRepeats)
		}
		if !m.webhook && replies != copies {
			t.Errorf("%d thread replies, want %d (one per copy)", replies, copies)
		}
	default:
		if repeats > m.kills {
			t.Errorf("%d repeated posts after %d kills, want at most one per kill", repeats, m.kills)
		}
	}
}
