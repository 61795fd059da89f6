package main

import (
	"encoding/xml"
	"os"
	"strings"
	"testing"
	"time"
)

type rssDoc struct {
	Items []struct {
		GUID        string `xml:"guid"`
		Description string `xml:"description"`
	} `xml:"channel>item"`
}

func parse(t *testing.T, b []byte) rssDoc {
	t.Helper()
	var d rssDoc
	if err := xml.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestFeedDoc: a pass adds one report to every feed and a wire copy to
// every wireEvery-th, the copies of a pass alike, two passes' different.
func TestFeedDoc(t *testing.T) {
	const pass = 1000
	plain := parse(t, feedDoc(1, pass, time.Minute))
	if len(plain.Items) != itemsPerFeed {
		t.Fatalf("feed 1: %d items, want %d", len(plain.Items), itemsPerFeed)
	}
	next := parse(t, feedDoc(1, pass+1, time.Minute))
	if next.Items[0].GUID != "f1-r1001" || next.Items[1].GUID != plain.Items[0].GUID {
		t.Errorf("the next pass does not add one item: %s, %s", next.Items[0].GUID, next.Items[1].GUID)
	}
	a := parse(t, feedDoc(0, pass, time.Minute))
	b := parse(t, feedDoc(wireEvery, pass, time.Minute))
	if len(a.Items) != 2*itemsPerFeed || a.Items[1].GUID != "f0-w1000" {
		t.Fatalf("feed 0 carries no wire copies: %+v", a.Items)
	}
	body := func(d rssDoc) string {
		return d.Items[1].Description[:strings.Index(d.Items[1].Description, " Reported by")]
	}
	if body(a) != body(b) {
		t.Error("two copies of one pass's wire story differ")
	}
	if wireText(pass) == wireText(pass+1) {
		t.Error("two passes carry one wire story")
	}
}

func TestCPUOf(t *testing.T) {
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
	}
	if c := cpuOf(os.Getpid()); c <= 0 {
		t.Errorf("cpuOf(self) = %v after a busy loop", c)
	}
	if peakRSS(os.Getpid()) <= 0 {
		t.Error("peakRSS(self) = 0")
	}
}
