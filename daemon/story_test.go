package daemon

import (
	"strings"
	"testing"
	"time"
)

const wireStory = `Steve Witkoff, the US special envoy, met Vladimir Putin in the Kremlin on Tuesday for nearly five hours of talks on a plan to end the war in Ukraine, according to officials on both sides. Yuri Ushakov, a foreign policy aide to the Russian president, told reporters the meeting had been useful and constructive but that no compromise had yet been found on the question of territory. The American delegation also included Jared Kushner. Ushakov said the two sides had agreed not to disclose the details of the discussion. Ukrainian officials said they were waiting for a briefing from Washington before commenting on the outcome. The talks follow weeks of shuttle diplomacy between Washington, Kyiv and Moscow over a draft framework.`

const wireCopy = `Steve Witkoff, the US special envoy, met Vladimir Putin in the Kremlin on Tuesday for nearly five hours of talks on a plan to end the war in Ukraine, according to officials on both sides. Yuri Ushakov, a foreign policy aide to the Russian president, told reporters the meeting had been useful and constructive but that no compromise had yet been found on the question of territory. The American delegation also included Jared Kushner. Ushakov said the two sides had agreed not to disclose the details of the discussion. Ukrainian officials said they were waiting for a briefing from Washington before commenting on the outcome. Reporting by Guy Faulconbridge; editing by Mark Trevelyan.`

const reactionPiece = `Ukraine's president said on Wednesday that Kyiv would not accept any deal that rewarded Russian aggression, a day after the US envoy Steve Witkoff held talks with Vladimir Putin in the Kremlin. Speaking in his nightly video address, the president thanked European partners for their support and said Ukrainian negotiators would travel to Geneva at the weekend. European diplomats described the mood as cautious. Analysts said the Kremlin was trying to split Washington from its allies while its forces pressed an offensive in the east. Kushner and Witkoff are expected to brief the White House later this week, officials said, and Ushakov has hinted at another meeting.`

// TestStoriesFoldCopiesIntoThreads: a wire story carried by two outlets is
// one alert with the copy as a follow-up; a different report sharing the
// names is its own alert.
func TestStoriesFoldCopiesIntoThreads(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/wire.xml", "application/rss+xml", rss(
		rssItem{guid: "w-1", link: srv.URL + "/wire/1", title: "Witkoff and Putin talk for five hours in the Kremlin", desc: wireStory, pub: recent(2 * time.Hour)},
	))
	srv.set("/other.xml", "application/rss+xml", rss(
		rssItem{guid: "o-1", link: srv.URL + "/other/1", title: "Putin receives US envoy Witkoff for marathon Kremlin talks", desc: wireCopy, pub: recent(time.Hour)},
		rssItem{guid: "o-2", link: srv.URL + "/other/2", title: "Kyiv rejects deal that rewards aggression after Witkoff-Putin talks", desc: reactionPiece, pub: recent(time.Hour)},
	))
	h := newHarness(t, config2(srv))
	var seen int
	h.once()
	out := h.newOutput(&seen)
	if got := strings.Count(strings.ToLower(out), "also reported by"); got != 1 {
		t.Errorf("want exactly one follow-up, got %d:\n%s", got, out)
	}
	for _, title := range []string{"five hours in the Kremlin", "marathon Kremlin talks", "Kyiv rejects deal"} {
		if !strings.Contains(out, title) {
			t.Errorf("output lacks %q:\n%s", title, out)
		}
	}
	counts, err := h.d.state.AlertCounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if counts.Sent != 3 {
		t.Errorf("sent = %d, want 3 (two alerts and one follow-up)", counts.Sent)
	}
}

// TestStoryThreadsSurviveRestart: a copy arriving after a restart still
// joins the story alerted before it.
func TestStoryThreadsSurviveRestart(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/wire.xml", "application/rss+xml", rss(
		rssItem{guid: "w-1", link: srv.URL + "/wire/1", title: "Witkoff and Putin talk for five hours in the Kremlin", desc: wireStory, pub: recent(2 * time.Hour)},
	))
	srv.set("/other.xml", "application/rss+xml", rss())
	h := newHarness(t, config2(srv))
	var seen int
	h.once()
	if out := h.newOutput(&seen); !strings.Contains(out, "five hours") {
		t.Fatalf("no first alert:\n%s", out)
	}
	h.restart()
	srv.set("/other.xml", "application/rss+xml", rss(
		rssItem{guid: "o-1", link: srv.URL + "/other/1", title: "Putin receives US envoy Witkoff for marathon Kremlin talks", desc: wireCopy, pub: recent(time.Hour)},
	))
	h.once()
	out := h.newOutput(&seen)
	if !strings.Contains(strings.ToLower(out), "also reported by") || !strings.Contains(out, "marathon Kremlin talks") {
		t.Errorf("copy after restart should be a follow-up:\n%s", out)
	}
}

// TestCopiesInOneFetchSeeEachOther: a fetch is recorded in one store
// transaction, yet copies inside it must still fold as across fetches: a
// wire story and its copy in the same feed are one alert and a follow-up
// in its thread; the same link under a second GUID is the same item; the
// same GUID twice is recorded once.
func TestCopiesInOneFetchSeeEachOther(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/wire.xml", "application/rss+xml", rss(
		rssItem{guid: "w-1", link: srv.URL + "/wire/1", title: "Witkoff and Putin talk for five hours in the Kremlin", desc: wireStory, pub: recent(2 * time.Hour)},
		rssItem{guid: "w-2", link: srv.URL + "/wire/2", title: "Putin receives US envoy Witkoff for marathon Kremlin talks", desc: wireCopy, pub: recent(time.Hour)},
		rssItem{guid: "w-3", link: srv.URL + "/wire/1", title: "Witkoff and Putin talk for five hours in the Kremlin (updated)", desc: wireStory, pub: recent(time.Hour)},
		rssItem{guid: "w-1", link: srv.URL + "/wire/1", title: "Witkoff and Putin talk for five hours in the Kremlin", desc: wireStory, pub: recent(2 * time.Hour)},
	))
	srv.set("/other.xml", "application/rss+xml", rss())
	h := newHarness(t, config2(srv))
	var seen int
	if code := h.once(); code != ExitDelivered {
		t.Fatalf("exit = %d; logs:\n%s", code, h.logs.String())
	}
	out := h.newOutput(&seen)
	if got := strings.Count(strings.ToLower(out), "also reported by"); got != 1 {
		t.Errorf("want exactly one follow-up (the copy), got %d:\n%s", got, out)
	}
	if got := strings.Count(out, "five hours in the Kremlin"); got != 1 {
		t.Errorf("the story's first article shows %d times, want once (the second GUID of its link and the repeated GUID add nothing):\n%s", got, out)
	}
	counts, err := h.d.state.AlertCounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if counts.Sent != 2 {
		t.Errorf("sent = %d, want 2 (the alert and its follow-up)", counts.Sent)
	}
	known, err := h.d.state.KnownItems(t.Context(), "wire", []string{"w-1", "w-2", "w-3"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w1, w2, w3 := known.ByKey["w-1"], known.ByKey["w-2"], known.ByKey["w-3"]
	if w1.StoryID == 0 || w2.StoryID != w1.StoryID || w3.StoryID != w1.StoryID {
		t.Errorf("story ids = %d, %d, %d; want one story for all three", w1.StoryID, w2.StoryID, w3.StoryID)
	}
	if len(w3.Rules) == 0 {
		t.Error("the second GUID of a link did not inherit its rules")
	}
	h.once()
	if out := h.newOutput(&seen); out != "" {
		t.Errorf("second pass printed:\n%s", out)
	}
}
