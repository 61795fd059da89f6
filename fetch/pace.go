package fetch

import (
	"math"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Pace is how hard one host may be asked: a token bucket (Burst requests
// may go at once after a quiet spell, then Rate a second) and a cap on the
// requests in flight to it.
type Pace struct {
	Rate  rate.Limit // sustained requests a second; rate.Inf: no limit
	Burst int        // bucket size; at least 1
	Conns int        // requests in flight to the host; at least 1
}

// HostPace is the Pace for the hosts Match names: a host name
// ("news.example.com") or every subdomain of one ("*.example.com", which
// does not cover example.com itself). The most specific match wins. Its
// zero fields keep the default pace of the request's kind (Feeds or
// Pages), except that an unlimited Rate without Conns lifts the per-host
// cap to the global one.
type HostPace struct {
	Match string
	Pace  Pace
}

// Default paces. A feed poll is one conditional GET, usually answered 304
// with no body: a host may take a burst of 20 and then 5 a second (300
// feeds on one host: about 56 s a pass, 5 requests a second; ten feeds on
// a host wait for no token). A page crawl costs the host a full article render,
// so a page source gets 1 a second after a burst of 3.
var (
	DefaultFeedPace = Pace{Rate: 5, Burst: 20, Conns: 4}
	DefaultPagePace = Pace{Rate: 1, Burst: 3, Conns: 2}
)

// Adaptive pacing: a 429 or 503 (with or without Retry-After), a 5xx, a
// transport failure or a response slower than slowResponse halves the
// host's rate (down to 1/64 of it) and drops its burst to 1 for
// penaltyHold; after that, each success at least restoreStep after the
// last change doubles the rate back, up to its pace.
const (
	slowResponse = 5 * time.Second
	penaltyHold  = 2 * time.Minute
	restoreStep  = 30 * time.Second
	minFactor    = 1.0 / 64
	// unlimitedFloor stands for rate.Inf when a host that asked for no
	// limit is penalised: halving infinity would change nothing.
	unlimitedFloor rate.Limit = 20
)

// class separates feed polls from page crawls: each has its own bucket
// and connection cap on a host, and its own default pace.
type class int

const (
	feedClass class = iota
	pageClass
)

// paces is a Client's pacing policy, replaced whole by SetPaces.
type paces struct {
	feeds, pages Pace
	hosts        []HostPace
	off          bool // no rate limits at all (tests); caps still hold
	global       int  // the process's cap, an unlimited host's default Conns
}

// pace is the pace for host and class.
func (p *paces) pace(host string, cl class) Pace {
	base := p.feeds
	if cl == pageClass {
		base = p.pages
	}
	if hp, ok := matchHost(p.hosts, host); ok {
		hp.Rate = infLimit(hp.Rate)
		if hp.Rate == rate.Inf && hp.Conns == 0 {
			// Unlimited means unpaced: the per-host cap would be pacing
			// by another name. Only the process's cap remains.
			hp.Conns = p.global
		}
		base = overlay(base, hp)
	}
	if p.off {
		base.Rate, base.Burst = rate.Inf, 1
	}
	return normalPace(base)
}

// overlay is base with p's non-zero fields.
func overlay(base, p Pace) Pace {
	if p.Rate != 0 {
		base.Rate = p.Rate
	}
	if p.Burst != 0 {
		base.Burst = p.Burst
	}
	if p.Conns != 0 {
		base.Conns = p.Conns
	}
	return base
}

func normalPace(p Pace) Pace {
	p.Burst, p.Conns = max(p.Burst, 1), max(p.Conns, 1)
	if p.Rate = infLimit(p.Rate); p.Rate <= 0 {
		p.Rate = rate.Inf
	}
	return p
}

// infLimit maps an infinite float (what "unlimited" parses to) to rate.Inf,
// the one value the limiter treats as no limit.
func infLimit(r rate.Limit) rate.Limit {
	if math.IsInf(float64(r), 1) {
		return rate.Inf
	}
	return r
}

// matchHost returns the pace of the most specific entry naming host: an
// exact name beats any wildcard, a longer wildcard a shorter one.
func matchHost(hosts []HostPace, host string) (Pace, bool) {
	best, bestLen := Pace{}, -1
	for _, h := range hosts {
		m := strings.ToLower(strings.TrimSuffix(h.Match, "."))
		n := -1
		switch {
		case m == host:
			n = math.MaxInt
		case strings.HasPrefix(m, "*.") && strings.HasSuffix(host, m[1:]):
			n = len(m)
		}
		if n > bestLen {
			best, bestLen = h.Pace, n
		}
	}
	return best, bestLen >= 0
}

// effective is base lowered by factor (1: not lowered).
func effective(base Pace, factor float64) (rate.Limit, int) {
	if factor >= 1 {
		return base.Rate, base.Burst
	}
	r := base.Rate
	if r == rate.Inf {
		r = unlimitedFloor
	}
	return r * rate.Limit(factor), 1
}

// refill is how long base's bucket takes to fill from empty: a host idle
// that long is as good as new.
func refill(base Pace) time.Duration {
	if base.Rate == rate.Inf {
		return 0
	}
	return time.Duration(float64(base.Burst) / float64(base.Rate) * float64(time.Second))
}
