package fetch

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

var (
	// ErrTooLarge means the decoded body passed the size cap.
	ErrTooLarge = errors.New("fetch: body too large")
	// ErrBlockedAddress means the target resolved to a private, loopback,
	// link-local or otherwise internal address and the request did not allow it.
	ErrBlockedAddress = errors.New("fetch: blocked address")
	// ErrTooManyRedirects means the redirect chain passed the cap.
	ErrTooManyRedirects = errors.New("fetch: too many redirects")
	// ErrUnsupportedScheme means a URL (or a redirect) was not http or https.
	ErrUnsupportedScheme = errors.New("fetch: unsupported URL scheme")
	// ErrHostBackoff means the host asked us (with Retry-After on a 429 or
	// 503) to come back later, and that time has not come yet. Read the
	// *BackoffError with errors.As for the time.
	ErrHostBackoff = errors.New("fetch: host asked to back off")
)

// StatusError is a response other than 2xx or 304.
type StatusError struct {
	URL  string // the URL that answered (after redirects)
	Code int
	// RetryAfter is the server's Retry-After (seconds or an HTTP date), 0 if none.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("fetch: get %s: status %d %s", e.URL, e.Code, http.StatusText(e.Code))
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return msg
}

// BackoffError is returned, without contacting the host, while a host's
// Retry-After is in force. It matches ErrHostBackoff with errors.Is.
type BackoffError struct {
	Host  string
	Until time.Time
}

func (e *BackoffError) Error() string {
	return fmt.Sprintf("fetch: host %s asked to back off until %s (Retry-After)",
		e.Host, e.Until.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrHostBackoff) true.
func (e *BackoffError) Is(target error) bool { return target == ErrHostBackoff }

// maxRetryAfter caps what a server can ask for, so a hostile or broken
// Retry-After (a year) cannot silence a source for good.
const maxRetryAfter = 6 * time.Hour

// parseRetryAfter reads Retry-After as delay-seconds or an HTTP date
// (RFC 9110 10.2.3). It returns 0 for a missing, malformed or past value.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
