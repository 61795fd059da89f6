package urlcanon

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Errors returned (wrapped) by Canonical; test with errors.Is.
var (
	ErrNotAbsolute = errors.New("not an absolute URL")
	ErrScheme      = errors.New("scheme is not http or https")
	ErrHost        = errors.New("invalid host")
	ErrPort        = errors.New("invalid port")
)

// Canonical returns the canonical form of an absolute http or https URL, as
// described in the package documentation. Canonical(Canonical(x)) equals
// Canonical(x). Surrounding white space is ignored, as feeds often wrap
// links in it.
func Canonical(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("urlcanon: %w", err)
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme == "":
		return "", fmt.Errorf("urlcanon: %q: %w", raw, ErrNotAbsolute)
	case scheme != "http" && scheme != "https":
		return "", fmt.Errorf("urlcanon: %q: %w", raw, ErrScheme)
	case u.Opaque != "" || u.Host == "":
		return "", fmt.Errorf("urlcanon: %q: %w", raw, ErrNotAbsolute)
	}
	host, err := Host(u.Hostname())
	if err != nil {
		return "", fmt.Errorf("urlcanon: %q: %w", raw, err)
	}
	port, err := canonicalPort(scheme, u.Port())
	if err != nil {
		return "", fmt.Errorf("urlcanon: %q: %w", raw, err)
	}
	var b strings.Builder
	b.WriteString(scheme + "://" + host + port)
	b.WriteString(canonicalPath(u.EscapedPath()))
	if q := canonicalQuery(u.RawQuery); q != "" {
		b.WriteString("?" + q)
	}
	return b.String(), nil
}

// canonicalPath normalises escapes and dot segments; an empty path is "/".
func canonicalPath(p string) string {
	p = normalizeEscapes(p, isPathChar)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return removeDotSegments(p)
}

// canonicalQuery drops tracking and empty parameters and sorts the rest by
// key. The sort is stable so repeated keys (a=2&a=1) keep their order, which
// some servers treat as meaningful.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	type param struct{ key, text string }
	var params []param
	for _, p := range strings.Split(raw, "&") {
		if p == "" {
			continue
		}
		p = normalizeEscapes(p, isQueryChar)
		key, _, _ := strings.Cut(p, "=")
		if IsTracking(decodeKey(key)) {
			continue
		}
		params = append(params, param{key, p})
	}
	sort.SliceStable(params, func(i, j int) bool { return params[i].key < params[j].key })
	parts := make([]string, len(params))
	for i, p := range params {
		parts[i] = p.text
	}
	return strings.Join(parts, "&")
}

// decodeKey unescapes a query key for the tracking check, so that
// "utm%5Fsource" and "utm+source" style spellings are seen for what they are.
func decodeKey(k string) string {
	if d, err := url.QueryUnescape(k); err == nil {
		return d
	}
	return k
}
