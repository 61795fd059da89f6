package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// blockedPrefixes are ranges that are not ordinary public unicast, beyond
// what netip's Is* methods already cover. Sources: IANA special-purpose
// registries (RFC 6890 and successors).
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // CGNAT shared space
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // TEST-NET-1
	netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),  // TEST-NET-3
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, incl. broadcast
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated)
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated (SIIT)
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001::/32"),       // Teredo: hides an IPv4 address
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("3fff::/20"),       // documentation (RFC 9637)
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
}

// Prefixes whose addresses embed an IPv4 address that a gateway will reach:
// the embedded address must pass the guard too.
var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// IsPrivateAddr reports whether ip must not be reached without the
// request's permission: private (10/8, 172.16/12, 192.168/16, fc00::/7),
// loopback, link-local (169.254/16 incl. 169.254.169.254, fe80::/10),
// unspecified, multicast, CGNAT 100.64/10, documentation and reserved
// ranges, and IPv6 forms that carry such an IPv4 address (IPv4-mapped,
// NAT64, 6to4). A nil or malformed ip is blocked.
func IsPrivateAddr(ip net.IP) bool {
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return true
	}
	return isPrivate(addr)
}

func isPrivate(addr netip.Addr) bool {
	addr = addr.WithZone("").Unmap()
	if !addr.IsValid() || addr.IsPrivate() || addr.IsLoopback() ||
		addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(addr) {
			return true
		}
	}
	if embedded, ok := embeddedIPv4(addr); ok {
		return isPrivate(embedded)
	}
	return false
}

// embeddedIPv4 extracts the IPv4 address inside a NAT64 or 6to4 address.
func embeddedIPv4(addr netip.Addr) (netip.Addr, bool) {
	b := addr.As16()
	switch {
	case nat64Prefix.Contains(addr):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(addr):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// HostIsPrivate reports whether rawURL's host is an IP literal that
// IsPrivateAddr blocks, or localhost (or a name under .localhost). The
// caller uses it to let a source configured on such an address reach it.
func HostIsPrivate(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && isPrivate(addr)
}

// guardedDialer resolves the host itself, refuses blocked addresses before
// any connection is attempted, and dials the checked IPs. Checking the IP
// we actually dial (not the name) is what stops DNS rebinding.
type guardedDialer struct {
	allowPrivate bool
	resolver     Resolver
	dial         func(ctx context.Context, network, addr string) (net.Conn, error)
}

// dialContext is the DialContext of the underlying http.Transport.
func (d *guardedDialer) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	ips, err := d.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, ip := range ips {
		conn, err := d.dial(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("dial %s: %w", host, errors.Join(errs...))
}

// resolve returns host's addresses, or ErrBlockedAddress if any of them is
// blocked. Refusing the whole name (rather than skipping its private
// addresses) keeps the outcome independent of the answer's order.
func (d *guardedDialer) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	var ips []netip.Addr
	if addr, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{addr}
	} else {
		answer, err := d.resolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
		for _, a := range answer {
			if addr, ok := netip.AddrFromSlice(a.IP); ok {
				ips = append(ips, addr.Unmap())
			}
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("resolve %s: no addresses", host)
	}
	if d.allowPrivate {
		return ips, nil
	}
	for _, ip := range ips {
		if isPrivate(ip) {
			if ip.String() != host {
				host += " (" + ip.String() + ")"
			}
			return nil, fmt.Errorf("dial %s: %w", host, ErrBlockedAddress)
		}
	}
	return ips, nil
}

// netDialer is the default dialer. Its Control hook re-checks the address
// the socket is about to connect to: a second line of defence should a
// future change let an unchecked address through.
func netDialer(timeout time.Duration, allowPrivate bool) *net.Dialer {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || isPrivate(ap.Addr()) {
				return fmt.Errorf("connect %s: %w", address, ErrBlockedAddress)
			}
			return nil
		}
	}
	return d
}
