package config

import (
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Host is one entry of the hosts: list: how hard newswatch may ask the
// hosts Match names. Zero fields keep the default pace of the request's
// kind (feed polls or page crawls).
type Host struct {
	// Match is a host name ("news.example.com"), an IP address (IPv6
	// without brackets) or "*.example.com" (every subdomain of example.com,
	// not example.com itself); lower case.
	Match string
	// Rate is sustained requests a second; +Inf for "unlimited"; 0: default.
	Rate        float64
	Burst       int // requests that may go at once; 0: default
	Connections int // requests in flight to the host; 0: default
}

var hostKeys = []string{"match", "rate", "burst", "connections"}

// hosts decodes the hosts list; a match named twice is an error.
func (d *decoder) hosts(e entry) []Host {
	var out []Host
	first := map[string]int{}
	for i, n := range d.sequence(e, "host entries") {
		h, line, ok := d.host(n, fmt.Sprintf("hosts[%d].", i))
		if !ok {
			continue
		}
		if at, dup := first[h.Match]; dup {
			d.errorf(line, n.Column, "hosts[%d]: duplicate match %q (first at line %d)", i, h.Match, at)
			continue
		}
		first[h.Match] = line
		out = append(out, h)
	}
	return out
}

// host decodes one entry; line is its match's.
func (d *decoder) host(n *yaml.Node, prefix string) (h Host, line int, ok bool) {
	what := strings.TrimSuffix(prefix, ".")
	if isNull(n) {
		d.errAt(n, "%s: empty entry; expected match: and rate:, burst: or connections:", what)
		return h, 0, false
	}
	m := d.mapping(n, what, prefix, hostKeys)
	if m == nil {
		return h, 0, false
	}
	before := len(d.errs)
	e, has := m["match"]
	if !has {
		d.errAt(n, "%s: missing match (a host such as news.example.com, or *.example.com)", what)
		return h, 0, false
	}
	d.hostMatch(e, &h.Match)
	if e, has := m["rate"]; has {
		d.rate(e, &h.Rate)
	}
	if e, has := m["burst"]; has {
		d.integer(e, &h.Burst, 1)
	}
	if e, has := m["connections"]; has {
		d.integer(e, &h.Connections, 1)
	}
	return h, e.val.Line, len(d.errs) == before
}

func (d *decoder) hostMatch(e entry, dst *string) {
	v, ok := d.scalar(e)
	if !ok {
		return
	}
	s := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(v.s)), ".")
	if ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); ip != nil {
		*dst = ip.String() // as a URL's host name has it: no brackets
		return
	}
	if !validHostMatch(s) {
		d.errAt(v.node, "%s: %s is not a host name or *.domain (no scheme, port or path)", e.name, v.show())
		return
	}
	*dst = s
}

// validHostMatch accepts a DNS name (an IPv4 literal is one) or "*." before one.
func validHostMatch(s string) bool {
	s = strings.TrimPrefix(s, "*.")
	if s == "" || len(s) > 253 || strings.Contains(s, "*") {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// rate reads "unlimited" or N/s, N/m, N/h (N a positive number).
func (d *decoder) rate(e entry, dst *float64) {
	v, ok := d.scalar(e)
	if !ok {
		return
	}
	r, ok := parseRate(v.s)
	if !ok {
		d.errAt(v.node, "%s: expected a rate such as 1/s, 30/m, 100/h or unlimited, got %s", e.name, v.show())
		return
	}
	*dst = r
}

func parseRate(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "unlimited" {
		return math.Inf(1), true
	}
	num, unit, ok := strings.Cut(s, "/")
	per := map[string]float64{"s": 1, "m": 60, "h": 3600}[strings.TrimSpace(unit)]
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if !ok || per == 0 || err != nil || !(n > 0) || math.IsInf(n, 0) {
		return 0, false
	}
	return n / per, true
}

// FormatRate shows a rate as the config writes it.
func FormatRate(r float64) string {
	switch {
	case math.IsInf(r, 1):
		return "unlimited"
	case r >= 1:
		return strconv.FormatFloat(r, 'g', 4, 64) + "/s"
	case r*60 >= 1:
		return strconv.FormatFloat(r*60, 'g', 4, 64) + "/m"
	}
	return strconv.FormatFloat(r*3600, 'g', 4, 64) + "/h"
}

func (c *Config) summaryHosts(w io.Writer) {
	if len(c.Hosts) == 0 {
		fmt.Fprintf(w, "hosts:\tdefault pacing for every host\n")
		return
	}
	fmt.Fprintf(w, "hosts (%d):\n", len(c.Hosts))
	for _, h := range c.Hosts {
		rate, burst, conns := "default", "default", "default"
		if h.Rate != 0 {
			rate = FormatRate(h.Rate)
		}
		if h.Burst != 0 {
			burst = strconv.Itoa(h.Burst)
		}
		if h.Connections != 0 {
			conns = strconv.Itoa(h.Connections)
		}
		fmt.Fprintf(w, "  %s\trate %s\tburst %s\tconnections %s\n", h.Match, rate, burst, conns)
	}
}
