package daemon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/config"
	"github.com/newswatch/newswatch/fetch"
	"github.com/newswatch/newswatch/store"
)

// nxResolver answers every name with "no such host": the DNS failure path,
// without a packet to any resolver.
type nxResolver struct{}

func (nxResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// redactConfig has one source per failure path, each with its own secrets
// in the userinfo, in credential-named parameters and in parameters filled
// from ${VAR} under ordinary names.
const redactConfig = `
state: %[1]s
listen: ""
sources:
  - name: dns
    feed: http://reader:pw-dns-4c1@nxdomain.example/feed?token=tok-dns-77a
  - name: connect
    feed: http://reader:pw-conn-91b@%[3]s/feed?apikey=${CONN_KEY}
  - name: status500
    feed: http://reader:pw-500-e2f@%[2]s/500?access_token=tok-500-3d8&lang=en
  - name: parse
    feed: http://%[2]s/garbage?client=${CLIENT_ID}&lang=en
  - name: blocked
    feed: http://%[2]s/feed?sig=sig-blocked-5a0
    allow_private: false
  - name: scheme
    feed: http://%[2]s/to-gopher?auth=auth-redir-61c&id=${REDIR_ID}
  - name: loop
    feed: http://%[2]s/loop?feedid=${LOOP_ID}
  - name: pages
    page: http://%[2]s/list?feedid=${PAGE_ID}
    links: a
rules:
  - name: any
    query: Kremlin
`

// redactSecrets are every secret redactConfig and its environment hold.
var redactSecrets = []string{
	"pw-dns-4c1", "tok-dns-77a", "pw-conn-91b", "key-conn-0f3", "pw-500-e2f", "tok-500-3d8",
	"client-id-8b2", "sig-blocked-5a0", "auth-redir-61c", "redir-id-c47", "loop-id-2e9",
	"page-id-a15", "pw-art-9d1", "tok-offsite-b36",
}

var redactEnv = map[string]string{
	"CONN_KEY": "key-conn-0f3", "CLIENT_ID": "client-id-8b2", "REDIR_ID": "redir-id-c47",
	"LOOP_ID": "loop-id-2e9", "PAGE_ID": "page-id-a15",
}

func redactServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) })
	mux.HandleFunc("/garbage", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "this is not a feed "+r.URL.RawQuery)
	})
	mux.HandleFunc("/to-gopher", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "gopher://"+r.Host+"/x?"+r.URL.RawQuery, http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop?"+r.URL.RawQuery, http.StatusFound)
	})
	mux.HandleFunc("/list", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.RawQuery
		fmt.Fprintf(w, `<html><body><a href="/art500?%[1]s&password=pw-art-9d1">a</a>
			<a href="/art-offsite?%[1]s">b</a><a href="/art-loop?%[1]s">c</a></body></html>`, q)
	})
	mux.HandleFunc("/art500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) })
	mux.HandleFunc("/art-offsite", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://elsewhere.example/x?token=tok-offsite-b36&"+r.URL.RawQuery, http.StatusFound)
	})
	mux.HandleFunc("/art-loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/art-loop?"+r.URL.RawQuery, http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestSecretsInSourceURLsNeverLeave feeds URLs carrying secrets through
// every failure path (DNS and connect failures, an HTTP 500, a document
// that is no feed, a blocked address, redirects to a bad scheme and in a
// loop, failing article pages of a page source, one redirecting off site)
// and looks for the secrets in everything that leaves the process: the
// logs, `status`, /metrics and the state file.
func TestSecretsInSourceURLsNeverLeave(t *testing.T) {
	srv := redactServer(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state.db")
	path := filepath.Join(dir, "newswatch.yaml")
	host := strings.TrimPrefix(srv.URL, "http://")
	if err := os.WriteFile(path, fmt.Appendf(nil, redactConfig, state, host, closedPort(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	lookup := func(k string) (string, bool) { v, ok := redactEnv[k]; return v, ok }
	cfg, err := config.Load(path, config.Options{Version: "test", LookupEnv: lookup})
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	d, err := New(t.Context(), cfg, Options{
		Version: "test", Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Stdout: &bytes.Buffer{}, LookupEnv: lookup,
		Fetch: &fetch.Options{Timeout: 5 * time.Second, Unpaced: true, Resolver: nxResolver{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	d.Once(ctx)
	rec := httptest.NewRecorder()
	d.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	metrics := rec.Body.String()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	var status bytes.Buffer
	if err := Status(t.Context(), &status, cfg); err != nil {
		t.Fatal(err)
	}

	outputs := map[string]string{"logs": logs.String(), "status": status.String(), "/metrics": metrics}
	files, _ := filepath.Glob(state + "*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		outputs[filepath.Base(f)] = string(b)
	}
	for what, text := range outputs {
		for _, secret := range redactSecrets {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows the secret %q", what, secret)
			}
		}
	}
	// The failures must still be there to read, with their URLs redacted.
	for _, src := range []string{"dns", "connect", "status500", "parse", "blocked", "scheme", "loop"} {
		if !strings.Contains(metrics, `newswatch_fetches_total{result="error",source="`+src+`"} 1`) {
			t.Errorf("/metrics does not count the failure of %s", src)
		}
		if !strings.Contains(logs.String(), "source failing\" source="+src) {
			t.Errorf("logs do not report %s failing", src)
		}
	}
	for _, want := range []string{"REDACTED@nxdomain.example", "status 500", "blocked address", "client=REDACTED", "id=REDACTED"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q", want)
		}
	}
	if n := strings.Count(logs.String(), "article page skipped"); n != 3 {
		t.Errorf("%d article pages skipped in the logs, want 3", n)
	}
	if !strings.Contains(status.String(), "REDACTED") {
		t.Errorf("status shows no redacted errors:\n%s", status.String())
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("logs:\n%s\nstatus:\n%s", logs.String(), status.String())
	}
}

// TestStatusRedactsStoredErrors: a state file written before redaction (or
// by anything else) may hold a raw URL in a source's last error; status
// redacts what it prints all the same.
func TestStatusRedactsStoredErrors(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.db")
	st, err := store.OpenSQLite(t.Context(), state, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	raw := `crawler: a: Get "http://reader:pw-old-1@h.example/rss?client=client-old-2&token=tok-old-3": EOF`
	if err := st.SaveFetchState(t.Context(), store.FetchState{Source: "a", LastFetch: time.Now(), LastResult: "error", LastError: raw, ConsecutiveFailures: 1}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	src := fmt.Sprintf("state: %s\nsources:\n  - {name: a, feed: \"https://h.example/rss?client=${C}\"}\nrules:\n  - {name: r, query: x}\n", state)
	cfg, err := config.Parse("t.yaml", []byte(src), config.Options{LookupEnv: func(string) (string, bool) { return "client-old-2", true }})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Status(t.Context(), &out, cfg); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"pw-old-1", "client-old-2", "tok-old-3"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("status shows %q:\n%s", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), "REDACTED@h.example") {
		t.Errorf("status lost the error:\n%s", out.String())
	}
}
