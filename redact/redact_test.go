package redact

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	tests := []struct {
		name, in string
		secret   []string
		want     string
	}{
		{"nothing to hide", "https://example.com/rss?lang=en&page=2", nil, "https://example.com/rss?lang=en&page=2"},
		{"user and password", "http://reader:PASSWORD@feeds.example/rss", nil, "http://REDACTED@feeds.example/rss"},
		{"user only (a token as user)", "https://ghp_TOKEN@example.com/x", nil, "https://REDACTED@example.com/x"},
		{"@ in the password", "http://u:p@ss@host/x", nil, "http://REDACTED@host/x"},
		{"@ in the path is not userinfo", "https://example.com/@user?x=1", nil, "https://example.com/@user?x=1"},
		{"apikey", "https://api.example/v1?apikey=SECRET&lang=en", nil, "https://api.example/v1?apikey=REDACTED&lang=en"},
		{"every listed name", "https://h/?key=1&apikey=2&api_key=3&token=4&access_token=5&auth=6&signature=7&sig=8&password=9&secret=10",
			nil, "https://h/?key=REDACTED&apikey=REDACTED&api_key=REDACTED&token=REDACTED&access_token=REDACTED&auth=REDACTED&signature=REDACTED&sig=REDACTED&password=REDACTED&secret=REDACTED"},
		{"case and compounds", "https://h/?API-KEY=1&Client_Secret=2&X-Amz-Signature=3&auth_token=4", nil,
			"https://h/?API-KEY=REDACTED&Client_Secret=REDACTED&X-Amz-Signature=REDACTED&auth_token=REDACTED"},
		{"escaped key", "https://h/?api%5Fkey=1", nil, "https://h/?api%5Fkey=REDACTED"},
		{"named secret", "https://h/rss?client=ABC&lang=en", []string{"client"}, "https://h/rss?client=REDACTED&lang=en"},
		{"named secret any case", "https://h/rss?Client=ABC", []string{"client"}, "https://h/rss?Client=REDACTED"},
		{"repeated key", "https://h/?token=a&token=b", nil, "https://h/?token=REDACTED&token=REDACTED"},
		{"empty value", "https://h/?token=", nil, "https://h/?token=REDACTED"},
		{"fragment", "https://h/cb#access_token=SECRET&state=x", nil, "https://h/cb#access_token=REDACTED&state=x"},
		{"query and fragment", "https://h/?token=a#sig=b", nil, "https://h/?token=REDACTED#sig=REDACTED"},
		{"malformed", "http://u:SECRET@h:port/%zz?token=SECRET", nil, "http://REDACTED@h:port/%zz?token=REDACTED"},
		{"all at once", "http://u:PW@h/?apikey=K&x=1", nil, "http://REDACTED@h/?apikey=REDACTED&x=1"},
		{"not a URL", "plain words", nil, "plain words"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := URL(tt.in, tt.secret...)
			if got != tt.want {
				t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := URL(got, tt.secret...); again != got {
				t.Errorf("not idempotent: %q then %q", got, again)
			}
		})
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"error prefix", "fetch: get http://u:PW@h/rss?token=T: status 500", "fetch: get http://REDACTED@h/rss?token=REDACTED: status 500"},
		{"quoted by net/http", `Get "http://u:***@h/?apikey=K": dial tcp: refused`, `Get "http://REDACTED@h/?apikey=REDACTED": dial tcp: refused`},
		{"two URLs", "redirect from https://a/?sig=1 to gopher://b/?token=2.", "redirect from https://a/?sig=REDACTED to gopher://b/?token=REDACTED."},
		{"in parentheses", "(see https://h/?key=K)", "(see https://h/?key=REDACTED)"},
		{"no URL", "connection refused", "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q)\n = %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestError(t *testing.T) {
	base := io.ErrUnexpectedEOF
	err := fmt.Errorf("fetch %s: %w", "https://h/?client=SECRET&token=T", base)
	red := Error(err, "client")
	if strings.Contains(red.Error(), "SECRET") || strings.Contains(red.Error(), "=T") {
		t.Errorf("Error() = %q still shows a secret", red)
	}
	if !errors.Is(red, io.ErrUnexpectedEOF) {
		t.Error("errors.Is lost the chain")
	}
	if Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
	if plain := errors.New("no url here"); Error(plain) != plain {
		t.Error("an error with nothing to hide was wrapped")
	}
}

func TestIsCredential(t *testing.T) {
	for _, n := range []string{"key", "apikey", "api_key", "API-Key", "token", "access_token", "auth", "signature", "sig", "password", "secret", "client_secret", "x-api-key"} {
		if !IsCredential(n) {
			t.Errorf("IsCredential(%q) = false", n)
		}
	}
	for _, n := range []string{"lang", "page", "q", "format", "id", "authority", "signed"} {
		if IsCredential(n) {
			t.Errorf("IsCredential(%q) = true", n)
		}
	}
}

// FuzzURL: URL never panics, is idempotent, and never lets a password in
// the userinfo or a token value through.
func FuzzURL(f *testing.F) {
	for _, s := range []string{"http://u:PW@h/?token=SECRETX", "https://h/#sig=SECRETX", "x://@@?&==#", "http://h?a=b&token=SECRETX#?token=SECRETX"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := URL(s)
		if again := URL(got); again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, again)
		}
		if strings.Contains(s, "://u:SECRETX@") && strings.Contains(got, "SECRETX@") {
			t.Fatalf("userinfo kept: %q -> %q", s, got)
		}
	})
}
