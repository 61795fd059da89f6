package matcher

import (
	"strings"
	"unicode/utf8"
)

// requires reports whether every article the node matches must contain
// something positive: a word, or come from a source or site. A query that
// requires nothing (NOT x) would match nearly every article.
func requires(n node) bool {
	switch n := n.(type) {
	case *andNode:
		for _, k := range n.kids {
			if requires(k) {
				return true
			}
		}
		return false
	case *orNode:
		for _, k := range n.kids {
			if !requires(k) {
				return false
			}
		}
		return true
	case *notNode:
		return false
	case *titleNode:
		return requires(n.kid)
	}
	return true
}

// nearOperand reports whether n may stand beside NEAR: a word, phrase,
// prefix, title: of one, or an OR-group of them. Only these have positions.
func nearOperand(n node) bool {
	switch n := n.(type) {
	case *wordNode, *phraseNode, *prefixNode:
		return true
	case *titleNode:
		return nearOperand(n.kid)
	case *orNode:
		for _, k := range n.kids {
			if !nearOperand(k) {
				return false
			}
		}
		return true
	}
	return false
}

// hostMatches reports whether host is site or a subdomain of it; both are
// in urlcanon's canonical form.
func hostMatches(host, site string) bool {
	return host == site || strings.HasSuffix(host, "."+site)
}

// foldKey maps names that differ only in case to one key, for source:
// and Rule.Sources.
func foldKey(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.ToLower(strings.ToUpper(s))
		}
	}
	return strings.ToLower(s) // ASCII: the same, without allocating when already lower case
}
