package crawler

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

// lockedBuffer is a log sink safe for the crawler's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Every charset decision shows in the debug log, with the rule that made it.
func TestCharsetDecisionLogged(t *testing.T) {
	text := strings.Repeat("Песков заявил, что Кремль пока не получал новых предложений по мирному плану. ", 8)
	body, err := charmap.Windows1251.NewEncoder().String("<rss version=\"2.0\"><channel><item><title>Кремль</title><description>" + text + "</description></item></channel></rss>")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, map[string]route{"/feed": {contentType: "application/rss+xml", body: body}})
	var logs lockedBuffer
	c := newTestCrawler(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	arts, err := c.Load(testContext(t), srv.URL+"/feed")
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 || arts[0].Title != "Кремль" {
		t.Fatalf("articles %+v", arts)
	}
	if !strings.Contains(logs.String(), `msg="crawler: charset windows-1251 from detector, confidence 0.`) ||
		!strings.Contains(logs.String(), "from=detector") {
		t.Errorf("no charset decision in the debug log:\n%s", logs.String())
	}
}
