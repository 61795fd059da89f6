package daemon

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
)

func mustEncode(t *testing.T, enc *charmap.Charmap, s string) string {
	t.Helper()
	b, err := enc.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEveryFeedFormatAndEncodingAlertsOnce runs one pass over sources in
// each format and encoding the crawler reads, then a second pass.
func TestEveryFeedFormatAndEncodingAlertsOnce(t *testing.T) {
	srv := newFeedServer(t)
	now := time.Now().UTC()
	srv.set("/atom.xml", "application/atom+xml", fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>a</title><id>urn:a</id><updated>%[1]s</updated>
<entry><id>urn:a:1</id><title>Atom: Donetsk front line shifts</title><link href="%[2]s/atom/1"/><updated>%[1]s</updated>
<content type="html">&lt;p&gt;Troops &amp;amp; armour moved.&lt;/p&gt;</content></entry></feed>`, now.Format(time.RFC3339), srv.URL))
	srv.set("/feed.json", "application/feed+json", fmt.Sprintf(`{"version":"https://jsonfeed.org/version/1.1","title":"j",
"items":[{"id":"j1","url":"%s/json/1","title":"JSON: Donetsk water supply cut","content_html":"<p>Residents queue.</p>","date_published":"%s"}]}`,
		srv.URL, now.Format(time.RFC3339)))
	srv.set("/cp1251.xml", "application/xml", mustEncode(t, charmap.Windows1251, fmt.Sprintf(`<?xml version="1.0" encoding="windows-1251"?>
<rss version="2.0"><channel><title>ru</title><item><guid>r1</guid><title>Обстрел Донецка продолжается</title><link>%s/ru/1</link>
<description>Власти Донецк сообщили о пострадавших.</description><pubDate>%s</pubDate></item></channel></rss>`, srv.URL, now.Format(time.RFC1123Z))))
	srv.set("/latin1.xml", "text/xml; charset=iso-8859-1", mustEncode(t, charmap.ISO8859_1, fmt.Sprintf(`<?xml version="1.0"?>
<rss version="2.0"><channel><title>fr</title><item><guid>f1</guid><title>Macrón et Donetsk: la réunion</title><link>%s/fr/1</link>
<description>Le président s'est exprimé.</description><pubDate>%s</pubDate></item></channel></rss>`, srv.URL, now.Format(time.RFC1123Z))))
	srv.set("/bom.xml", "application/rss+xml", "\xef\xbb\xbf"+rss(
		rssItem{guid: "b1", link: srv.URL + "/bom/1", title: "BOM: Donetsk talks", desc: "x", pub: recent(time.Hour)}))
	cfg := fmt.Sprintf(`
state: STATE
listen: ""
sources:
  - {name: atom, feed: %[1]s/atom.xml}
  - {name: json, feed: %[1]s/feed.json}
  - {name: cp1251, feed: %[1]s/cp1251.xml}
  - {name: latin1, feed: %[1]s/latin1.xml}
  - {name: bom, feed: %[1]s/bom.xml}
rules:
  - {name: donetsk, query: 'Donetsk OR Донецк*'}
`, srv.URL)
	h := newHarness(t, cfg)
	var seen int
	if code := h.once(); code != ExitDelivered {
		t.Fatalf("exit %d; logs:\n%s", code, h.logs.String())
	}
	out := h.newOutput(&seen)
	for _, title := range []string{"Atom: Donetsk front line shifts", "JSON: Donetsk water supply cut",
		"Обстрел Донецка продолжается", "Macrón et Donetsk: la réunion", "BOM: Donetsk talks"} {
		if strings.Count(out, title) != 1 {
			t.Errorf("want %q once, output:\n%s\nlogs:\n%s", title, out, h.logs.String())
		}
	}
	h.once()
	if out := h.newOutput(&seen); out != "" {
		t.Errorf("second pass alerted:\n%s", out)
	}
}

// TestPageSourceEndToEnd: a listing page's links are followed on the
// source's host only, matching articles alert once, and a known article is
// not fetched again.
func TestPageSourceEndToEnd(t *testing.T) {
	srv := newFeedServer(t)
	pub := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	srv.set("/robots.txt", "text/plain", "User-agent: *\nDisallow: /private/\n")
	srv.set("/news", "text/html", `<html><body><div class="hentry"><h3><a href="/news/1">One</a></h3></div>
<div class="hentry"><h3><a href="/news/2">Two</a></h3></div>
<div class="hentry"><h3><a href="/private/3">Three</a></h3></div>
<div class="hentry"><h3><a href="https://elsewhere.example/news/4">Four</a></h3></div></body></html>`)
	article := func(title, body string) string {
		return fmt.Sprintf(`<html><head><title>%s | Site</title><meta property="article:published_time" content="%s"></head>
<body><nav>Menu</nav><h1>%s</h1><div class="read__content"><p>%s</p></div></body></html>`, title, pub, title, body)
	}
	srv.set("/news/1", "text/html", article("Putin meets Witkoff in the Kremlin", "The president received the US envoy."))
	srv.set("/news/2", "text/html", article("Meeting on agriculture", "Wheat harvest figures were discussed."))
	srv.set("/private/3", "text/html", article("Witkoff Putin secret", "Should never be fetched."))
	cfg := fmt.Sprintf(`
state: STATE
listen: ""
sources:
  - name: kremlin
    page: %s/news
    links: "div.hentry h3 a"
    title: h1
    body: div.read__content
rules:
  - {name: witkoff-moscow, query: 'Witkoff AND (Kremlin OR Putin)'}
`, srv.URL)
	h := newHarness(t, cfg)
	var seen int
	if code := h.once(); code != ExitDelivered {
		t.Fatalf("exit %d; logs:\n%s", code, h.logs.String())
	}
	out := h.newOutput(&seen)
	if strings.Count(out, "Putin meets Witkoff in the Kremlin") != 1 {
		t.Errorf("page article not alerted once:\n%s\nlogs:\n%s", out, h.logs.String())
	}
	if hits, _ := srv.counts("/private/3"); hits != 0 {
		t.Errorf("robots.txt-disallowed page fetched %d times", hits)
	}
	h.once()
	if out := h.newOutput(&seen); out != "" {
		t.Errorf("second pass alerted:\n%s", out)
	}
	if hits, _ := srv.counts("/news/1"); hits != 1 {
		t.Errorf("known article fetched %d times, want 1", hits)
	}
}
