package urlcanon

import (
	"errors"
	"testing"
)

func TestCanonical(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"already canonical", "https://example.com/a/b?x=1", "https://example.com/a/b?x=1"},
		{"scheme and host case", "HTTPS://WWW.Example.COM/Path/To", "https://www.example.com/Path/To"},
		{"path case kept", "https://example.com/World/Europe/ABC", "https://example.com/World/Europe/ABC"},
		{"fragment", "https://example.com/a#comments", "https://example.com/a"},
		{"empty fragment", "https://example.com/a#", "https://example.com/a"},
		{"http default port", "http://example.com:80/a", "http://example.com/a"},
		{"https default port", "https://example.com:443/a", "https://example.com/a"},
		{"port leading zeros", "http://example.com:0080/a", "http://example.com/a"},
		{"non-default port kept", "http://example.com:8080/a", "http://example.com:8080/a"},
		{"https on port 80 kept", "https://example.com:80/a", "https://example.com:80/a"},
		{"empty port", "http://example.com:/a", "http://example.com/a"},
		{"empty path", "https://example.com", "https://example.com/"},
		{"empty path with query", "https://example.com?b=2&a=1", "https://example.com/?a=1&b=2"},
		{"trailing dot on host", "https://example.com./a", "https://example.com/a"},
		{"userinfo dropped", "https://user:secret@example.com/a", "https://example.com/a"},
		{"utm params", "https://example.com/a?utm_source=tw&utm_medium=social&UTM_Campaign=x&id=7", "https://example.com/a?id=7"},
		{"click ids", "https://example.com/a?fbclid=1&gclid=2&dclid=3&msclkid=4&yclid=5&igshid=6&p=1", "https://example.com/a?p=1"},
		{"newsletter ids", "https://example.com/a?mc_cid=1&mc_eid=2&_ga=3&ref_src=twsrc", "https://example.com/a"},
		{"publisher campaign tags", "https://www.theguardian.com/world/x?CMP=share_btn_tw&ns_mchannel=social", "https://www.theguardian.com/world/x"},
		{"encoded tracking key", "https://example.com/a?utm%5Fsource=x&b=1", "https://example.com/a?b=1"},
		{"ref is not tracking", "https://example.com/a?ref=home", "https://example.com/a?ref=home"},
		{"query sorted", "https://example.com/a?z=1&b=2&a=3", "https://example.com/a?a=3&b=2&z=1"},
		{"repeated keys keep order", "https://example.com/a?b=1&a=2&a=1&a=3", "https://example.com/a?a=2&a=1&a=3&b=1"},
		{"empty params dropped", "https://example.com/a?&a=1&&b=2&", "https://example.com/a?a=1&b=2"},
		{"empty query dropped", "https://example.com/a?", "https://example.com/a"},
		{"key without value kept", "https://example.com/a?print&a=1", "https://example.com/a?a=1&print"},
		{"query value case kept", "https://example.com/a?q=Kremlin", "https://example.com/a?q=Kremlin"},
		{"plus kept", "https://example.com/s?q=peace+plan", "https://example.com/s?q=peace+plan"},
		{"escape case", "https://example.com/a%2fb?q=a%2fb", "https://example.com/a%2Fb?q=a%2Fb"},
		{"escaped unreserved decoded", "https://example.com/%7Euser/%41", "https://example.com/~user/A"},
		{"stray percent in query", "https://example.com/a?q=5%&r=%zz", "https://example.com/a?q=5%25&r=%25zz"},
		{"space in path", "https://example.com/a b", "https://example.com/a%20b"},
		{"unicode path", "https://example.com/новости", "https://example.com/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8"},
		{"dot segments", "https://example.com/a/./b/../c", "https://example.com/a/c"},
		{"dot segments trailing", "https://example.com/a/b/..", "https://example.com/a/"},
		{"dot segments above root", "https://example.com/../a", "https://example.com/a"},
		{"empty segments kept", "https://example.com/a//b/", "https://example.com/a//b/"},
		{"IDN unicode host", "https://Bücher.Example/a", "https://xn--bcher-kva.example/a"},
		{"IDN punycode host", "https://XN--BCHER-KVA.example/a", "https://xn--bcher-kva.example/a"},
		{"IDN cyrillic", "http://президент.рф/", "http://xn--d1abbgf6aiiy.xn--p1ai/"},
		{"IDN escaped host", "https://b%C3%BCcher.example/", "https://xn--bcher-kva.example/"},
		{"underscore host", "https://my_site.example.com/", "https://my_site.example.com/"},
		{"IPv4", "http://127.0.0.1:80/a", "http://127.0.0.1/a"},
		{"IPv6 compressed", "http://[2001:DB8:0:0::1]:8080/a", "http://[2001:db8::1]:8080/a"},
		{"surrounding space", "  https://example.com/a\n", "https://example.com/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonical(tt.in)
			if err != nil {
				t.Fatalf("Canonical(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Canonical(%q) = %q, want %q", tt.in, got, tt.want)
			}
			again, err := Canonical(got)
			if err != nil || again != got {
				t.Errorf("not idempotent: Canonical(%q) = %q, %v", got, again, err)
			}
		})
	}
}

func TestCanonicalErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     error // nil: any error
	}{
		{"empty", "", ErrNotAbsolute},
		{"relative path", "/world/europe", ErrNotAbsolute},
		{"scheme-relative", "//example.com/a", ErrNotAbsolute},
		{"no scheme", "example.com/a", ErrNotAbsolute},
		{"opaque", "http:example.com/a", ErrNotAbsolute},
		{"no host", "http:///a", ErrNotAbsolute},
		{"ftp", "ftp://example.com/a", ErrScheme},
		{"mailto", "mailto:news@example.com", ErrScheme},
		{"javascript", "javascript:alert(1)", ErrScheme},
		{"bad port", "http://example.com:99999/", ErrPort},
		{"empty label", "http://a..b/", ErrHost},
		{"only dots", "http://.../", ErrHost},
		{"leading empty label", "http://.example.com/", ErrHost},
		{"ipv6 zone", "http://[fe80::1%25en0]/", ErrHost},
		{"unparseable", "http://[::1/", nil},
		{"control char", "http://example.com/\x7f\x00", nil},
		{"bad path escape", "https://example.com/100%", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonical(tt.in)
			if err == nil {
				t.Fatalf("Canonical(%q) = %q, want an error", tt.in, got)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Canonical(%q) error = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

// Links to the same article from different shares must meet.
func TestCanonicalSameArticle(t *testing.T) {
	links := []string{
		"https://www.theguardian.com/world/2025/nov/25/ukraine-talks?CMP=share_btn_tw",
		"https://WWW.THEGUARDIAN.COM:443/world/2025/nov/25/ukraine-talks#comments",
		"https://www.theguardian.com/world/2025/nov/25/ukraine-talks?utm_source=newsletter&utm_medium=email",
		"https://www.theguardian.com./world/2025/nov/25/ukraine-talks?fbclid=IwAR0abc",
	}
	want, err := Canonical(links[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links[1:] {
		if got, err := Canonical(l); err != nil || got != want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", l, got, err, want)
		}
	}
}

func TestIsTracking(t *testing.T) {
	for _, k := range []string{"utm_source", "UTM_TERM", "utm_anything", "fbclid", "GCLID", "mc_eid", "_ga"} {
		if !IsTracking(k) {
			t.Errorf("IsTracking(%q) = false", k)
		}
	}
	for _, k := range []string{"id", "page", "ref", "q", "utm", "ga", "story"} {
		if IsTracking(k) {
			t.Errorf("IsTracking(%q) = true", k)
		}
	}
}

func TestHost(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Example.COM.", "example.com"},
		{"Президент.РФ", "xn--d1abbgf6aiiy.xn--p1ai"},
		{"XN--D1ABBGF6AIIY.xn--p1ai", "xn--d1abbgf6aiiy.xn--p1ai"},
		{"2001:DB8::1", "[2001:db8::1]"},
		{"[2001:DB8::1]", "[2001:db8::1]"},
		{"[::]", "[::]"},
		{"my_site.example", "my_site.example"},
	}
	for _, tt := range tests {
		if got, err := Host(tt.in); err != nil || got != tt.want {
			t.Errorf("Host(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", ".", "a..b", ".example.com", "news/example.com", "exa mple.com", "[example.com]", "[::1"} {
		if got, err := Host(in); !errors.Is(err, ErrHost) {
			t.Errorf("Host(%q) = %q, %v; want ErrHost", in, got, err)
		}
	}
}
