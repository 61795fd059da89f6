package daemon

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/config"
	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/store"
)

// TestStatusShowsWhatKeepsAlertsPending: the cause at the end of a long
// wrapped error ("blocked address") is shown, pending alerts come with
// their last error, and delivery notices and give_up_after are listed.
func TestStatusShowsWhatKeepsAlertsPending(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := store.OpenSQLite(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	longErr := "crawler: fetch http://intranet.example.internal/some/very/long/path/to/a/feed.xml?with=query&and=more: " +
		"fetch: dial tcp 10.1.2.3:80: blocked address"
	if err := st.SaveFetchState(ctx, store.FetchState{Source: "intranet", LastFetch: time.Now(), LastResult: "error",
		LastError: longErr, ConsecutiveFailures: 3}); err != nil {
		t.Fatal(err)
	}
	a := model.Alert{Kind: model.AlertNew, Channel: "#news", Rules: []string{"r"},
		Article: model.Article{Source: "intranet", Title: "Donetsk under fire", Link: "https://example.com/1"}}
	if _, err := st.Record(ctx, store.Record{Item: store.Item{Source: "intranet", Key: "1", FirstSeen: time.Now()},
		NewStory: &store.NewStory{Signature: []byte{1}}, Alerts: []model.Alert{a}}); err != nil {
		t.Fatal(err)
	}
	due, _ := st.DueAlerts(ctx, time.Now().Add(time.Hour), 1)
	st.MarkRetry(ctx, due[0].ID, time.Now().Add(time.Minute), "notifier: post to slack channel #news: http_503")
	st.SetNote(ctx, noticePrefix+"no_history", "the Slack app lacks the channels:history and groups:history scopes")
	st.Close()

	cfg := &config.Config{State: path, Sources: []model.Source{{Name: "intranet"}},
		Slack: config.Slack{Token: "xoxb-x", Channel: "#news"}}
	var out bytes.Buffer
	if err := Status(ctx, &out, cfg); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"blocked address",
		"pending #1", "Donetsk under fire", "1 attempts, last error: notifier: post to slack channel #news: http_503",
		"notice no_history:", "channels:history",
		"fail after 24h0m0s (slack.give_up_after)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("status lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "xoxb-x") {
		t.Error("status shows the token")
	}
}

func TestCutMiddle(t *testing.T) {
	s := strings.Repeat("a", 200) + "blocked address"
	got := cutMiddle(s, 60)
	if n := len([]rune(got)); n != 60 || !strings.HasSuffix(got, "blocked address") || !strings.Contains(got, "…") {
		t.Errorf("cutMiddle = %q (%d runes)", got, n)
	}
	if got := cutMiddle("short\x1b[31m", 60); got != "short [31m" {
		t.Errorf("cutMiddle kept a control character: %q", got)
	}
}
