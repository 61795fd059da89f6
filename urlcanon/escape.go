package urlcanon

import "strings"

const upperHex = "0123456789ABCDEF"

// isUnreserved reports RFC 3986 unreserved characters: their percent-encoded
// and literal forms are equivalent, so the literal one is canonical.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// isPathChar reports characters that may appear literally in a path
// (pchar and "/"); anything else is percent-encoded.
func isPathChar(c byte) bool {
	return isUnreserved(c) || strings.IndexByte("!$&'()*+,;=:@/", c) >= 0
}

// isQueryChar reports characters that may appear literally in one query
// parameter; "&" is excluded because it separates parameters.
func isQueryChar(c byte) bool {
	return isUnreserved(c) || strings.IndexByte("!$'()*+,;=:@/?", c) >= 0
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// normalizeEscapes rewrites s so that equivalent encodings become one:
// escapes of unreserved characters are decoded, other escapes use upper-case
// hex, a stray "%" becomes "%25", and bytes not allowed literally are
// encoded. Applying it twice gives the same result as applying it once.
func normalizeEscapes(s string, allowed func(byte) bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				writeByte(&b, hi<<4|lo, isUnreserved)
				i += 2
				continue
			}
		}
		writeByte(&b, c, allowed)
	}
	return b.String()
}

// writeByte writes c literally when allowed, else percent-encoded.
func writeByte(b *strings.Builder, c byte, allowed func(byte) bool) {
	if c != '%' && allowed(c) {
		b.WriteByte(c)
		return
	}
	b.WriteByte('%')
	b.WriteByte(upperHex[c>>4])
	b.WriteByte(upperHex[c&15])
}

// removeDotSegments resolves "." and ".." segments of an absolute path as
// RFC 3986 section 5.2.4 does, keeping empty segments and a trailing slash.
func removeDotSegments(p string) string {
	if !strings.Contains(p, ".") {
		return p
	}
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
			continue
		}
		if last {
			out = append(out, "") // "/a/." and "/a/b/.." both end in "/"
		}
	}
	return "/" + strings.Join(out, "/")
}
