// Package redact hides secrets in URLs before they leave the process: in
// logs, errors, `check` and `status` output, metrics and the state file.
// A source URL may carry credentials (http://user:PASSWORD@host/,
// ?apikey=...) and every layer that turns a URL into text (fetch, the
// crawler's error wrapping, the daemon's logs and stored errors, status,
// check) goes through URL or Text here, so the rule lives in one place.
//
// It is a package of its own rather than part of urlcanon because the two
// jobs differ: urlcanon decides an article's identity and needs a valid
// URL; redaction is an output policy that must also work on a malformed
// URL and on free text (an error message quoting one), and it never
// decides what is fetched or stored as a link.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// Mark replaces every hidden secret.
const Mark = "REDACTED"

// credentialNames are query parameter names (lower case, without '-', '_'
// and '.') whose values are taken for credentials.
var credentialNames = map[string]bool{
	"key": true, "apikey": true, "token": true, "accesstoken": true, "auth": true,
	"signature": true, "sig": true, "password": true, "secret": true,
	"passwd": true, "pwd": true,
}

// credentialSuffixes catch the common compounds: client_secret, auth_token,
// x-api-key, X-Amz-Signature, subscription-key.
var credentialSuffixes = []string{"token", "secret", "password", "apikey", "signature", "key"}

// IsCredential reports whether a query parameter name looks like one that
// carries a credential (key, apikey, api_key, token, access_token, auth,
// signature, sig, password, secret, and compounds ending in token, secret,
// password, key or signature). Case, '-', '_' and '.' do not matter.
func IsCredential(name string) bool {
	n := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' {
			return -1
		}
		return r
	}, strings.ToLower(name))
	if credentialNames[n] {
		return true
	}
	for _, s := range credentialSuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// URL returns raw with its userinfo (user and password) and the values of
// credential-like query parameters (IsCredential) and of the parameters
// named in secret replaced with Mark. secret names parameters whose values
// are secret for this URL's source, such as those the config filled from
// ${VAR}; names compare without regard to case. The fragment is treated
// like a query (#access_token=...). raw need not parse: the work is done on
// the text, so a malformed URL is redacted too, and everything else in it
// is left as it was.
func URL(raw string, secret ...string) string {
	s := redactUserinfo(raw)
	q := strings.IndexAny(s, "?#")
	if q < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:q])
	rest := s[q:]
	for rest != "" {
		// rest starts with '?' or '#'; the query ends at the fragment.
		b.WriteByte(rest[0])
		end := len(rest)
		if rest[0] == '?' {
			if i := strings.IndexByte(rest[1:], '#'); i >= 0 {
				end = i + 1
			}
		}
		b.WriteString(redactParams(rest[1:end], secret))
		rest = rest[end:]
	}
	return b.String()
}

// redactUserinfo replaces everything between "://" and the last '@' of the
// authority with Mark.
func redactUserinfo(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	auth := i + 3
	end := len(s)
	if j := strings.IndexAny(s[auth:], "/?#"); j >= 0 {
		end = auth + j
	}
	at := strings.LastIndexByte(s[auth:end], '@')
	if at < 0 {
		return s
	}
	return s[:auth] + Mark + s[auth+at:]
}

// redactParams redacts the values in one &-separated list of key=value.
func redactParams(q string, secret []string) string {
	if !strings.Contains(q, "=") {
		return q
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		key, _, ok := strings.Cut(p, "=")
		if ok && isSecret(key, secret) {
			parts[i] = key + "=" + Mark
		}
	}
	return strings.Join(parts, "&")
}

func isSecret(rawKey string, secret []string) bool {
	key := rawKey
	if k, err := url.QueryUnescape(rawKey); err == nil {
		key = k
	}
	if IsCredential(key) {
		return true
	}
	for _, s := range secret {
		if strings.EqualFold(s, key) {
			return true
		}
	}
	return false
}

// urlInText finds URLs inside free text: a scheme, "://", and everything up
// to white space or a quote (errors quote URLs with %q).
var urlInText = regexp.MustCompile("[A-Za-z][A-Za-z0-9+.-]*://[^\\s\"'<>`]+")

// Text redacts, as URL does, every URL that appears in s, such as in an
// error message from a library that quotes the URL it failed on.
// Punctuation that ends a sentence or an error's prefix (".", ",", ":",
// ";", ")") after a URL is kept out of it.
func Text(s string, secret ...string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlInText.ReplaceAllStringFunc(s, func(u string) string {
		trimmed := strings.TrimRight(u, ".,:;)]}")
		return URL(trimmed, secret...) + u[len(trimmed):]
	})
}

// Error returns err with its message redacted by Text. errors.Is and
// errors.As still see err and what it wraps: what is hidden is only the
// text that Error() prints. nil stays nil; an err with nothing to hide is
// returned as it is.
func Error(err error, secret ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := Text(msg, secret...); red != msg {
		return &redacted{msg: red, err: err}
	}
	return err
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }
