package urlcanon

import (
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// idnaProfile maps internationalised host names to punycode as browsers do
// (UTS 46 non-transitional, so "ß" stays distinct). StrictDomainName is off
// because real hosts carry underscores; Host checks the output.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.BidiRule(),
)

// Host returns the canonical form of a host name (without a port; an IPv6
// address with or without brackets), as Canonical writes it, so that
// Host(Host(h)) == Host(h): lower case, an IDN in punycode, no trailing dot, and
// IP addresses in their standard form (IPv6 in brackets, compressed). Other
// packages use it to compare hosts with those of canonical links. The error
// is ErrHost.
func Host(h string) (string, error) {
	if inner, ok := strings.CutPrefix(h, "["); ok { // as in a URL, and as Host writes it
		inner, ok = strings.CutSuffix(inner, "]")
		if !ok || !strings.Contains(inner, ":") {
			return "", ErrHost
		}
		h = inner
	}
	if strings.Contains(h, ":") {
		return canonicalIPv6(h)
	}
	h = strings.TrimRight(h, ".")
	if !isASCII(h) {
		a, err := idnaProfile.ToASCII(h)
		if err != nil {
			return "", ErrHost
		}
		h = strings.TrimRight(a, ".")
	}
	h = strings.ToLower(h)
	if h == "" || !validHostChars(h) || strings.HasPrefix(h, ".") || strings.Contains(h, "..") {
		return "", ErrHost
	}
	return h, nil
}

// canonicalIPv6 accepts only a plain IPv6 literal (h contains a colon, so
// it is never IPv4): zones never occur in links that newswatch follows, and
// rejecting them keeps the output simple.
func canonicalIPv6(h string) (string, error) {
	a, err := netip.ParseAddr(h)
	if err != nil || a.Zone() != "" {
		return "", ErrHost
	}
	return "[" + a.String() + "]", nil
}

func validHostChars(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// canonicalPort drops the scheme's default port and leading zeros.
func canonicalPort(scheme, p string) (string, error) {
	if p == "" {
		return "", nil
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return "", ErrPort
	}
	if scheme == "http" && n == 80 || scheme == "https" && n == 443 {
		return "", nil
	}
	return ":" + strconv.FormatUint(n, 10), nil
}
