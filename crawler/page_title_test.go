package crawler

import "testing"

func TestPageTitle(t *testing.T) {
	const story = `<article><p>The Kremlin confirmed on Tuesday that the US envoy would travel to Moscow next week for talks.</p><p>Spokesman Dmitry Peskov said the date had been agreed through diplomatic channels.</p></article>`
	tests := []struct {
		name, head, body, want string
	}{
		{"og:title first", `<title>Site</title><meta property="og:title" content="From og">`, `<h1>From h1</h1>` + story, "From og"},
		{"og:title in a token list", `<meta property="og:title twitter:title" content="Listed &amp; found">`, `<h1>x</h1><h1>y</h1>`, "Listed & found"},
		{"twitter:title by name", `<title>T</title><meta name="twitter:title" content="From twitter">`, `<h1>a</h1><h1>b</h1>`, "From twitter"},
		{"empty og:title skipped", `<meta property="og:title" content=" "><meta name="twitter:title" content="Second">`, ``, "Second"},
		{"logo h1 loses to the h1 that agrees with <title>", `<title>Kremlin confirms Witkoff visit - WNN</title>`,
			`<h1>WNN</h1><div><h1>Kremlin confirms Witkoff visit</h1>` + story + `</div>`, "Kremlin confirms Witkoff visit"},
		{"section h1 loses to the one in <article>", `<title>Health Center</title>`,
			`<h1>Allergies Health Center</h1><article><h1>Pollen season starts early</h1>` + story + `</article>`, "Pollen season starts early"},
		{"site name in <title> does not make the logo agree", `<title>Pollen season starts early | Health</title>`,
			`<h1>Health</h1><nav><h1>Other</h1></nav>` + story, "Pollen season starts early | Health"},
		{"h1 in readability's main content", `<title>WNN</title>`,
			`<h1>WNN logo</h1><div class="story"><h1>Real headline here</h1><p>The Kremlin confirmed on Tuesday that the US envoy would travel to Moscow next week for talks, officials said.</p><p>Spokesman Dmitry Peskov said the date had been agreed through diplomatic channels, and more.</p></div>`, "Real headline here"},
		{"the only h1", `<title>Listing site - Five</title>`, `<header><h1>First heading five</h1></header>` + story, "First heading five"},
		{"no h1: <title>", `<title>Just the title</title>`, story, "Just the title"},
		{"svg title is not the page's", `<title>Page title</title>`, `<svg><title>Search icon</title></svg>` + story, "Page title"},
		{"no <title>: the first h1", ``, `<h1>One</h1><h1>Two</h1>`, "One"},
	}
	c := New(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := "<!DOCTYPE html><html><head>" + tt.head + "</head><body>" + tt.body + "</body></html>"
			a, err := c.extractPage([]byte(page), mustParseURL(t, "https://news.example/a"), "news.example", selectors{})
			if err != nil {
				t.Fatal(err)
			}
			if a.Title != tt.want {
				t.Errorf("title %q, want %q", a.Title, tt.want)
			}
		})
	}
}
