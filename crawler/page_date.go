package crawler

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/itlightning/dateparse"
)

// maxJSONLD bounds the JSON-LD blocks decoded per page.
const maxJSONLD = 256 << 10

// pagePublished is the article's published time from the
// article:published_time meta, JSON-LD datePublished or the first
// <time datetime>, in that order of trust (metadata describes the article;
// a <time> may belong to a sidebar); zero when none parses.
func pagePublished(doc *goquery.Document) time.Time {
	candidates := []string{
		doc.Find(`meta[property="article:published_time"], meta[name="article:published_time"]`).First().AttrOr("content", ""),
		jsonLDPublished(doc),
		doc.Find("article time[datetime]").First().AttrOr("datetime", ""),
		doc.Find("time[datetime]").First().AttrOr("datetime", ""),
	}
	for _, s := range candidates {
		if t := parseDate(s); !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// parseDate parses the many date formats pages use; zero when it cannot.
// A date without a zone is taken as UTC.
func parseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC()
	}
	t, err := dateparse.ParseIn(s, time.UTC)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// jsonLDPublished is the first datePublished in the page's JSON-LD blocks.
func jsonLDPublished(doc *goquery.Document) string {
	var found string
	doc.Find(`script[type="application/ld+json"]`).EachWithBreak(func(_ int, s *goquery.Selection) bool {
		text := s.Text()
		if len(text) > maxJSONLD {
			return true
		}
		var v any
		if json.Unmarshal([]byte(text), &v) == nil {
			found = findDatePublished(v, 0)
		}
		return found == ""
	})
	return found
}

// findDatePublished walks decoded JSON (objects, arrays, @graph) for the
// first string datePublished, to a bounded depth.
func findDatePublished(v any, depth int) string {
	if depth > 8 {
		return ""
	}
	switch v := v.(type) {
	case map[string]any:
		if s, ok := v["datePublished"].(string); ok && s != "" {
			return s
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if s := findDatePublished(v[k], depth+1); s != "" {
				return s
			}
		}
	case []any:
		for _, child := range v {
			if s := findDatePublished(child, depth+1); s != "" {
				return s
			}
		}
	}
	return ""
}
