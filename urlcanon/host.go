package urlcanon

import (
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// idnaProfile maps internationalised host names to punycode as browsers do
// (UTS 46 non-transitional, so "ß" stays distinct). StrictDomainName is off
// because real hosts carry underscores; canonicalHost checks the output.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.BidiRule(),
)

// canonicalHost lower-cases a host name and converts it to punycode, drops
// trailing dots, and writes IP addresses in their standard form (IPv6 in
// brackets, compressed).
func canonicalHost(h string) (string, error) {
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
	if h == "" || !validHostChars(h) || strings.Contains(h, "..") {
		return "", ErrHost
	}
	return h, nil
}

// canonicalIPv6 accepts only a plain IPv6 literal: zones never occur in
// links that newswatch follows, and rejecting them keeps the output simple.
func canonicalIPv6(h string) (string, error) {
	a, err := netip.ParseAddr(h)
	if err != nil || a.Zone() != "" {
		return "", ErrHost
	}
	if a.Is4() {
		return a.String(), nil
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
