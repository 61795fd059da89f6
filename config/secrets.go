package config

import (
	"net/url"
	"slices"
	"strings"
)

// envParams names the query parameters of raw whose name or value came,
// wholly or in part, from a ${VAR} expansion (env holds where in raw the
// environment's text went). Their values are secrets however they are
// named: redact.URL hides them wherever the source's URL is printed or
// stored. Text from the environment elsewhere in the URL (host, path) is
// not covered: secrets belong in the userinfo or the query.
func envParams(raw string, env []span) []string {
	if len(env) == 0 {
		return nil
	}
	end := len(raw)
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		end = i
	}
	q := strings.IndexByte(raw[:end], '?')
	if q < 0 {
		return nil
	}
	var out []string
	for start := q + 1; start < end; {
		stop := end
		if i := strings.IndexByte(raw[start:end], '&'); i >= 0 {
			stop = start + i
		}
		// A span covering the '&' or '?' before this parameter counts too:
		// ${QUERY} may hold several parameters.
		if overlaps(env, start-1, stop) {
			key, _, _ := strings.Cut(raw[start:stop], "=")
			if k, err := url.QueryUnescape(key); err == nil {
				key = k
			}
			if key != "" && !slices.Contains(out, key) {
				out = append(out, key)
			}
		}
		start = stop + 1
	}
	return out
}

// overlaps reports whether any span meets [start, end).
func overlaps(env []span, start, end int) bool {
	for _, s := range env {
		if s.start < end && s.end > start {
			return true
		}
	}
	return false
}
