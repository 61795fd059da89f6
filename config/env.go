package config

import (
	"fmt"
	"strings"
)

// expand replaces ${VAR} and ${VAR:-default} in s. ${VAR:-default} takes the
// default when VAR is unset or empty, as in the shell; ${VAR} must be set
// (it may be empty). $${ is a literal ${. The default runs to the first "}".
//
// fromEnv reports whether any text came from the environment: such values
// may be secrets and are never echoed. Every problem in s is returned, not
// just the first; none of the messages contains a variable's value. When s
// is a secret, no message quotes the text inside a malformed ${...} either:
// it is often the secret itself, pasted between the braces.
func expand(s string, lookup func(string) (string, bool), secret bool) (out string, fromEnv bool, errs []string) {
	out, _, fromEnv, errs = expandSpans(s, lookup, secret)
	return out, fromEnv, errs
}

// span is a byte range [start, end) of an expanded value.
type span struct{ start, end int }

// expandSpans is expand that also returns where in out the environment's
// text went, so a URL's query values that came from ${VAR} can be redacted
// by name wherever the URL is printed.
func expandSpans(s string, lookup func(string) (string, bool), secret bool) (out string, env []span, fromEnv bool, errs []string) {
	if !strings.Contains(s, "${") {
		return s, nil, false, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			b.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				errs = append(errs, "unterminated ${ (write $${ for a literal ${)")
				return "", env, fromEnv, errs
			}
			val, isEnv, err := lookupVar(s[i+2:i+end], lookup, secret)
			if err != "" {
				errs = append(errs, err)
			}
			if isEnv && val != "" {
				env = append(env, span{b.Len(), b.Len() + len(val)})
			}
			b.WriteString(val)
			fromEnv = fromEnv || isEnv
			i += end + 1
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String(), env, fromEnv, errs
}

// lookupVar resolves the inside of one ${...}.
func lookupVar(expr string, lookup func(string) (string, bool), secret bool) (val string, fromEnv bool, err string) {
	name, def, hasDef := strings.Cut(expr, ":-")
	switch {
	case !validVarName(name) && secret:
		return "", false, "invalid variable name in ${...} (not shown: the value is a secret; write ${NAME} with a variable name)"
	case !validVarName(name):
		return "", false, fmt.Sprintf("invalid variable name %q in ${%s}", name, expr)
	}
	val, ok := lookup(name)
	switch {
	case hasDef && val == "":
		return def, false, ""
	case !ok:
		return "", false, fmt.Sprintf("environment variable %s is not set (write ${%s:-} to allow it to be unset)", name, name)
	}
	return val, true, ""
}

func validVarName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
