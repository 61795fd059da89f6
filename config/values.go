package config

import (
	"errors"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/newswatch/newswatch/redact"
	"github.com/robfig/cron/v3"
)

// cronParser accepts standard 5-field specs and descriptors such as
// "@hourly" and "@every 10m"; the daemon must schedule with the same one.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a cron spec the way Load validates it.
func ParseSchedule(spec string) (cron.Schedule, error) {
	return cronParser.Parse(spec)
}

func (d *decoder) schedule(e entry, dst *string) {
	v, ok := d.scalar(e)
	if !ok {
		return
	}
	if _, err := cronParser.Parse(v.s); err != nil {
		d.errAt(v.node, "%s: invalid cron spec %s: %s (want 5 fields like \"*/5 * * * *\", or \"@every 10m\", \"@hourly\")", e.name, v.show(), cronMsg(err, v))
		return
	}
	*dst = v.s
}

// cronMsg keeps robfig/cron's explanation without the spec it quotes, which
// may have come from the environment.
func cronMsg(err error, v value) string {
	msg := err.Error()
	if v.fromEnv {
		msg = strings.ReplaceAll(msg, v.s, "…")
	}
	return msg
}

var daysPrefix = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)d(.*)$`)

// ParseDuration accepts Go durations ("48h", "90m") and days ("30d",
// "1d12h"), which is how people write retention periods.
func ParseDuration(s string) (time.Duration, error) {
	m := daysPrefix.FindStringSubmatch(s)
	if m == nil {
		return time.ParseDuration(s)
	}
	days, err := strconv.ParseFloat(m[1], 64)
	if err != nil || days > 100000 {
		return 0, errors.New("invalid duration")
	}
	d := time.Duration(days * float64(24*time.Hour))
	if m[2] == "" {
		return d, nil
	}
	rest, err := time.ParseDuration(m[2])
	if err != nil || rest < 0 {
		return 0, errors.New("invalid duration")
	}
	return d + rest, nil
}

func (d *decoder) duration(e entry, dst *time.Duration) {
	v, ok := d.scalar(e)
	if !ok {
		return
	}
	dur, err := ParseDuration(v.s)
	switch {
	case err != nil:
		d.errAt(v.node, "%s: invalid duration %s (write e.g. 48h, 90m or 30d)", e.name, v.show())
	case dur <= 0:
		d.errAt(v.node, "%s: must be positive, got %s", e.name, v.show())
	default:
		*dst = dur
	}
}

func (d *decoder) integer(e entry, dst *int, lo int) {
	v, ok := d.scalar(e)
	if !ok {
		return
	}
	n, err := strconv.Atoi(v.s)
	switch {
	case err != nil:
		d.errAt(v.node, "%s: expected a whole number, got %s", e.name, v.show())
	case n < lo:
		d.errAt(v.node, "%s: must be at least %d, got %d", e.name, lo, n)
	default:
		*dst = n
	}
}

// boolean decodes a true/false value; it reports whether one was stored.
func (d *decoder) boolean(e entry, dst *bool) bool {
	v, ok := d.scalar(e)
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(v.s)
	if err != nil {
		d.errAt(v.node, "%s: expected true or false, got %s", e.name, v.show())
		return false
	}
	*dst = b
	return true
}

// httpURL checks that v is an absolute http(s) URL. Other schemes (file:,
// gopher:, ...) are refused here so no fetcher ever sees them. secret keeps
// the value out of the message; url.Parse's own errors quote the URL, so we
// never pass them on.
func (d *decoder) httpURL(name string, v value, secret bool) bool {
	show := v.show()
	if !v.fromEnv {
		show = strconv.Quote(redact.URL(v.s)) // a password typed into the file
	}
	if secret {
		show = "(secret, not shown)"
	}
	u, err := url.Parse(v.s)
	switch {
	case err != nil && secret:
		// url.Parse's reasons quote pieces of the URL (a port, an escape).
		d.errAt(v.node, "%s: invalid URL %s", name, show)
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		d.errAt(v.node, "%s: invalid URL %s: %v", name, show, err)
	case u.Scheme != "http" && u.Scheme != "https":
		d.errAt(v.node, "%s: URL %s must start with http:// or https://", name, show)
	case u.Host == "" || u.Hostname() == "":
		d.errAt(v.node, "%s: URL %s has no host", name, show)
	default:
		return true
	}
	return false
}

// validName reports whether s is a usable source or rule name: it appears
// in queries (source:NAME), on the command line and in metric labels.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != '.' {
			return false
		}
	}
	return true
}

// listenAddr checks a host:port for the HTTP listener; "" disables it.
func (d *decoder) listenAddr(e entry, dst *string) {
	v, ok := d.scalar(e)
	if !ok {
		return
	}
	if v.s != "" {
		_, port, err := net.SplitHostPort(v.s)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
			d.errAt(v.node, "%s: expected host:port such as 127.0.0.1:9464 or :9464, or \"\" to disable, got %s", e.name, v.show())
			return
		}
	}
	*dst = v.s
}

// hasControl reports characters that would break an HTTP header or a log line.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}
