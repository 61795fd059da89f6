package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheck(t *testing.T) {
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
	valid := writeFile(t, "ok.yaml", `
slack:
  token: ${SLACK_BOT_TOKEN}
  channel: "#news"
sources:
  - {name: guardian, feed: "https://www.theguardian.com/world/rss"}
rules:
  - {name: witkoff, query: 'Witkoff AND (Kremlin OR Putin)'}
`)
	code, out, errOut := runCLI(t, "", "check", "-config", valid)
	if code != 0 {
		t.Fatalf("check valid = %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"guardian", "witkoff", "#news"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+errOut, "xoxb-very-secret") {
		t.Error("check printed the Slack token")
	}

	bad := writeFile(t, "bad.yaml", "sources:\n  - {name: a, feed: \"ftp://x/\"}\nrules:\n  - name: r\n    query: 'Witkoff AND (Putin'\n")
	code, _, errOut = runCLI(t, "", "check", "-config", bad)
	if code != 2 {
		t.Fatalf("check invalid = %d, want 2", code)
	}
	for _, want := range []string{bad + ":2:", bad + ":5:"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("errors lack %q:\n%s", want, errOut)
		}
	}
}

// TestCheckNothingToWatch: check refuses (exit 2) a config that would
// watch nothing, saying what is missing.
func TestCheckNothingToWatch(t *testing.T) {
	tests := []struct{ name, config, want string }{
		{"empty", "", ":1:1: the config file is empty: it needs sources:"},
		{"no rules", "sources:\n  - {name: a, feed: \"https://a.example/rss\"}\n", ":1:1: no rules:"},
		{"no sources", "rules:\n  - {name: r, query: x}\n", ":1:1: no sources:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "c.yaml", tt.config)
			code, _, errOut := runCLI(t, "", "check", "-config", path)
			if code != 2 || !strings.Contains(errOut, path+tt.want) {
				t.Errorf("check = %d, stderr:\n%s\nwant 2 and %q", code, errOut, path+tt.want)
			}
		})
	}
}

func TestTestCommand(t *testing.T) {
	article := "Witkoff in Moscow\nThe US envoy met Vladimir Putin at the Kremlin on Tuesday.\n"
	cases := []struct {
		name  string
		args  []string
		stdin string
		code  int
		out   string
	}{
		{"match from stdin", []string{"-query", "Witkoff AND envoy NEAR/3 Putin", "-"}, article, 0, "Witkoff in Moscow"},
		{"no match", []string{"-query", "Zelenskyy", "-"}, article, 1, ""},
		{"bad query", []string{"-query", "Witkoff AND (Putin", "-"}, article, 2, ""},
		{"no target", []string{"-query", "x"}, "", 2, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // no newswatch.yaml here
			code, out, errOut := runCLI(t, c.stdin, append([]string{"test"}, c.args...)...)
			if code != c.code {
				t.Fatalf("exit = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, out, errOut)
			}
			if !strings.Contains(out, c.out) {
				t.Errorf("stdout lacks %q:\n%s", c.out, out)
			}
		})
	}
}

func TestTestCommandUsesConfigRules(t *testing.T) {
	cfg := writeFile(t, "newswatch.yaml", `
sources:
  - {name: s, feed: "https://example.com/rss"}
rules:
  - {name: kremlin, query: Kremlin}
  - {name: donetsk, query: 'Donetsk OR Донецк'}
`)
	text := writeFile(t, "a.txt", "Удары по Донецку\nОбстрел продолжался всю ночь в Донецк.\n")
	code, out, errOut := runCLI(t, "", "test", "-config", cfg, text)
	if code != 0 || !strings.Contains(out, "donetsk") || strings.Contains(out, "kremlin") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, _, _ = runCLI(t, "", "test", "-config", cfg, "-rule", "kremlin", text)
	if code != 1 {
		t.Fatalf("-rule kremlin exit = %d, want 1", code)
	}
}

// TestOnceAndStatus runs the binary's code path end to end: once prints the
// alert and exits 0, status then shows the source and the outbox.
func TestOnceAndStatus(t *testing.T) {
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>t</title><item><guid>1</guid><title>Witkoff lands in Moscow</title><link>http://%s/1</link><description>He will meet Putin.</description><pubDate>%s</pubDate></item></channel></rss>`,
			r.Host, time.Now().UTC().Format(time.RFC1123Z))
	}))
	defer feed.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "newswatch.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`
state: %s/state.db
listen: ""
sources:
  - {name: wire, feed: "%s/rss"}
rules:
  - {name: witkoff, query: 'Witkoff AND Putin'}
`, dir, feed.URL)), 0o600)
	code, out, errOut := runCLI(t, "", "once", "-config", cfg)
	if code != 0 || !strings.Contains(out, "Witkoff lands in Moscow") {
		t.Fatalf("once exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "", "status", "-config", cfg)
	if code != 0 {
		t.Fatalf("status exit %d: %s", code, errOut)
	}
	for _, want := range []string{"wire", "ok", "0 pending, 1 sent, 0 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
}

func TestVersionAndUsage(t *testing.T) {
	if code, out, _ := runCLI(t, "", "version"); code != 0 || !strings.HasPrefix(out, "newswatch ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, errOut := runCLI(t, "", "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
}

func TestSignalDuringStartUpIsNotAStateError(t *testing.T) {
	cfg := writeFile(t, "c.yaml", "state: "+filepath.Join(t.TempDir(), "s.db")+"\nlisten: \"\"\nsources:\n  - {name: a, feed: \"http://127.0.0.1:1/rss\"}\nrules:\n  - {name: r, query: x}\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // SIGTERM arrived while the store was opening
	for _, tc := range []struct {
		cmd  string
		want int
	}{{"run", 0}, {"once", 1}} {
		var out, errb bytes.Buffer
		if code := runContext(ctx, []string{tc.cmd, "-config", cfg}, strings.NewReader(""), &out, &errb); code != tc.want {
			t.Errorf("%s interrupted at start-up = %d, want %d; stderr:\n%s", tc.cmd, code, tc.want, errb.String())
		}
	}
}

func TestStateIntegrityExitCodes(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o600)
	foreign := filepath.Join(dir, "notes.txt")
	os.WriteFile(foreign, []byte("my notes\n"), 0o600)
	for _, tc := range []struct{ state, want string }{
		{empty, "has 0 bytes"},
		{foreign, "not a SQLite database"},
	} {
		cfg := writeFile(t, "c.yaml", "state: "+tc.state+"\nlisten: \"\"\nsources:\n  - {name: a, feed: \"http://127.0.0.1:1/rss\"}\nrules:\n  - {name: r, query: x}\n")
		for _, cmd := range []string{"once", "run", "status"} {
			code, _, errOut := runCLI(t, "", cmd, "-config", cfg)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Errorf("%s on %s = %d, stderr %q; want 2 and %q", cmd, filepath.Base(tc.state), code, errOut, tc.want)
			}
		}
		if fi, _ := os.Stat(tc.state); tc.state == empty && fi.Size() != 0 {
			t.Errorf("the empty state was initialised")
		}
	}
}

func TestStatusOpensReadOnly(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "typo.db")
	cfg := writeFile(t, "c.yaml", "state: "+state+"\nlisten: \"\"\nsources:\n  - {name: a, feed: \"http://127.0.0.1:1/rss\"}\nrules:\n  - {name: r, query: x}\n")
	code, _, errOut := runCLI(t, "", "status", "-config", cfg)
	if code != 2 || !strings.Contains(errOut, "no state file") {
		t.Errorf("status on a missing state = %d %q, want 2 and what is wrong", code, errOut)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("status created %v", entries)
	}
}
