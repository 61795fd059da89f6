package notifier

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// statusTransport turns HTTP error statuses into typed errors before
// slack-go sees them: a 429 becomes *RateLimitError whatever its
// Retry-After says (slack-go only understands whole seconds and ignores a
// 429 without the header), and other statuses >= 400 become
// *httpStatusError carrying Slack's short error code from the body (webhooks
// answer "no_service", "invalid_token", "channel_is_archived" ...).
type statusTransport struct {
	base http.RoundTripper
}

func (t *statusTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.StatusCode < 400 {
		return resp, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusTooManyRequests {
		return nil, &RateLimitError{RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	}
	return nil, &httpStatusError{Code: resp.StatusCode, SlackCode: slackCode(string(body))}
}

// httpStatusError is an HTTP error status from Slack.
type httpStatusError struct {
	Code      int
	SlackCode string // e.g. "no_service"; "" when the body was not a code
}

func (e *httpStatusError) Error() string {
	if e.SlackCode != "" {
		return fmt.Sprintf("HTTP %d %s", e.Code, e.SlackCode)
	}
	return fmt.Sprintf("HTTP %d", e.Code)
}

var slackCodeRe = regexp.MustCompile(`^[a-z][a-z_]{1,63}$`)

// slackCode returns body when it is one of Slack's error codes, else "".
func slackCode(body string) string {
	body = strings.TrimSpace(body)
	if slackCodeRe.MatchString(body) {
		return body
	}
	return ""
}

// parseRetryAfter reads a Retry-After header: seconds (fractions allowed,
// "1.5") or an HTTP date. Missing or unreadable values give
// DefaultRetryAfter; the result is between 1s and maxRetryAfter.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	d := DefaultRetryAfter
	if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		d = time.Duration(math.Min(f, maxRetryAfter.Seconds()) * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, time.Second), maxRetryAfter)
}
