package termtext

import "testing"

func TestLine(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "Witkoff in Moscow", "Witkoff in Moscow"},
		{"newline and tab", "a\nb\tc", "a b c"},
		{"ANSI escape", "x\x1b[2Jy", "x [2Jy"},
		{"C1 CSI", "x\u009b2Jy", "x 2Jy"},
		{"bidi override", "abc\u202edcba", "abc dcba"},
		{"arabic letter mark", "a\u061cb", "a b"},
		{"isolates and marks", "\u2066a\u2069\u200e\u200f", " a   "},
		{"line separator", "a\u2028b", "a b"},
		{"cyrillic kept", "Донецк", "Донецк"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Line(c.in); got != c.want {
				t.Errorf("Line(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestCut(t *testing.T) {
	cases := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"Донецк region", 6, "Донецк…"},
		{"a\x1bb", 5, "a b"},
	}
	for _, c := range cases {
		if got := Cut(c.in, c.max); got != c.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}

func TestIsControl(t *testing.T) {
	for _, r := range []rune{0, '\n', '\x1b', '\x7f', '\u0085', '\u009b', '\u061c', '\u200e', '\u200f',
		'\u202a', '\u202e', '\u2066', '\u2069'} {
		if !IsControl(r) {
			t.Errorf("IsControl(%U) = false", r)
		}
	}
	for _, r := range []rune{'a', ' ', 'Д', '\u00a0', '\u200b', '\u2060', '😀'} {
		if IsControl(r) {
			t.Errorf("IsControl(%U) = true", r)
		}
	}
}
