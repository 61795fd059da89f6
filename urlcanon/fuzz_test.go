package urlcanon

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzCanonical checks that Canonical never panics, that its output is a
// fixed point, and that the output is an absolute http(s) URL without the
// parts it promises to remove.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{
		"https://example.com/a?b=1&a=2#f",
		"HTTP://Example.COM:80/%7e/./x/../y?utm_source=x&z=%2f",
		"https://Bücher.example./a?fbclid=1",
		"http://[2001:db8::1]:8080/",
		"https://user:pw@example.com:0443/a//b/..?a=2&a=1&&",
		"https://example.com/100%?q=5%",
		"ftp://example.com/",
		"//example.com/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := Canonical(raw)
		if err != nil {
			return
		}
		again, err := Canonical(c)
		if err != nil {
			t.Fatalf("Canonical(%q) = %q, which fails: %v", raw, c, err)
		}
		if again != c {
			t.Fatalf("not idempotent: %q -> %q -> %q", raw, c, again)
		}
		u, err := url.Parse(c)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Fatalf("Canonical(%q) = %q: not an absolute http(s) URL", raw, c)
		}
		if strings.Contains(c, "#") || u.User != nil {
			t.Fatalf("Canonical(%q) = %q keeps a fragment or user", raw, c)
		}
	})
}
