package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestIsPrivateAddr(t *testing.T) {
	tests := []struct {
		ip      string
		private bool
	}{
		{"10.0.0.1", true},
		{"10.255.255.255", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.168.1.1", true},
		{"127.0.0.1", true},
		{"127.1.2.3", true},
		{"169.254.169.254", true}, // cloud metadata
		{"169.254.0.1", true},
		{"0.0.0.0", true},
		{"0.1.2.3", true},
		{"100.64.0.1", true}, // CGNAT
		{"100.127.255.254", true},
		{"224.0.0.1", true},
		{"239.255.255.250", true},
		{"255.255.255.255", true},
		{"240.0.0.1", true},
		{"192.0.2.1", true},
		{"198.18.0.1", true},
		{"::1", true},
		{"::", true},
		{"fe80::1", true},
		{"fc00::1", true},
		{"fd12:3456::1", true},
		{"ff02::1", true},
		{"::ffff:127.0.0.1", true}, // IPv4-mapped
		{"::ffff:10.0.0.1", true},
		{"::ffff:169.254.169.254", true},
		{"::127.0.0.1", true},       // IPv4-compatible
		{"64:ff9b::a00:1", true},    // NAT64 of 10.0.0.1
		{"64:ff9b::7f00:1", true},   // NAT64 of 127.0.0.1
		{"2002:a00:1::1", true},     // 6to4 of 10.0.0.1
		{"2002:a9fe:a9fe::1", true}, // 6to4 of 169.254.169.254
		{"2001:db8::1", true},       // documentation
		{"3fff::1", true},           // documentation (RFC 9637)
		{"fec0::1", true},           // site-local
		{"8.8.8.8", false},
		{"93.184.216.34", false},
		{"172.32.0.1", false},
		{"100.128.0.1", false},
		{"2606:4700:4700::1111", false},
		{"::ffff:8.8.8.8", false},
		{"64:ff9b::808:808", false}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", false},  // 6to4 of 8.8.8.8
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			ip := net.ParseIP(tt.ip)
			if ip == nil {
				t.Fatalf("bad test IP %q", tt.ip)
			}
			if got := IsPrivateAddr(ip); got != tt.private {
				t.Errorf("IsPrivateAddr(%s) = %v, want %v", tt.ip, got, tt.private)
			}
			if got := IsPrivateAddr(ip.To16()); got != tt.private {
				t.Errorf("IsPrivateAddr(16-byte %s) = %v, want %v", tt.ip, got, tt.private)
			}
		})
	}
	if !IsPrivateAddr(nil) {
		t.Error("IsPrivateAddr(nil) = false, want true (blocked)")
	}
}

func TestHostIsPrivate(t *testing.T) {
	tests := []struct {
		url  string
		want bool
	}{
		{"http://localhost:8080/feed", true},
		{"http://LOCALHOST./feed", true},
		{"http://app.localhost/feed", true},
		{"http://127.0.0.1/feed", true},
		{"http://10.1.2.3:9000/rss", true},
		{"http://[::1]:8080/", true},
		{"http://[fe80::1%25eth0]/", true},
		{"http://169.254.169.254/latest/meta-data/", true},
		{"https://www.theguardian.com/world/rss", false},
		{"https://8.8.8.8/", false},
		{"https://internal.example/", false}, // a name: decided at dial time
		{"://bad", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			if got := HostIsPrivate(tt.url); got != tt.want {
				t.Errorf("HostIsPrivate(%q) = %v, want %v", tt.url, got, tt.want)
			}
		})
	}
}

// The guard refuses a name that resolves to a private address before any
// connection is attempted: the injected dialer must never be called.
func TestGuardRefusesBeforeDial(t *testing.T) {
	tests := []struct {
		name string
		ips  []string
	}{
		{"private", []string{"10.0.0.1"}},
		{"metadata", []string{"169.254.169.254"}},
		{"loopback", []string{"127.0.0.1"}},
		{"mapped", []string{"::ffff:192.168.0.1"}},
		{"mixed answer", []string{publicIP, "10.0.0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := newFakeNet()
			fn.hosts["evil.test"] = tt.ips
			o := testOptions()
			o.Resolver, o.DialContext = fn, fn.DialContext
			_, err := New(o).Get(context.Background(), Request{URL: "http://evil.test/feed"})
			if !errors.Is(err, ErrBlockedAddress) {
				t.Fatalf("err = %v, want ErrBlockedAddress", err)
			}
			if d := fn.Dialled(); len(d) != 0 {
				t.Errorf("dialled %v before refusing", d)
			}
		})
	}
}

func TestGuardAllowPrivateDials(t *testing.T) {
	fn := newFakeNet()
	fn.hosts["intranet.test"] = []string{"10.0.0.1"}
	o := testOptions()
	o.Resolver, o.DialContext = fn, fn.DialContext
	_, err := New(o).Get(context.Background(), Request{URL: "http://intranet.test/", AllowPrivate: true})
	if err == nil || errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("err = %v, want the fake dialer's refusal", err)
	}
	if d := fn.Dialled(); len(d) != 1 || d[0] != "10.0.0.1:80" {
		t.Errorf("dialled %v, want [10.0.0.1:80]", d)
	}
}

// Without AllowPrivate, a test server on 127.0.0.1 is refused before connecting.
func TestGuardLoopbackLiteral(t *testing.T) {
	srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) {})
	_, err := New(testOptions()).Get(context.Background(), Request{URL: srv.URL})
	if !errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("err = %v, want ErrBlockedAddress", err)
	}
	if !strings.Contains(err.Error(), srv.URL) {
		t.Errorf("error %q does not name the URL", err)
	}
	if hits.Load() != 0 {
		t.Errorf("server saw %d requests", hits.Load())
	}
	c := New(testOptions())
	resp, err := c.Get(context.Background(), Request{URL: srv.URL, AllowPrivate: true})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("with AllowPrivate: %v, %v", resp, err)
	}
	// The kept-alive connection of that request must not serve one that
	// does not allow private addresses.
	if _, err := c.Get(context.Background(), Request{URL: srv.URL}); !errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("after an allowed request: err = %v, want ErrBlockedAddress", err)
	}
	if hits.Load() != 1 {
		t.Errorf("server saw %d requests, want 1", hits.Load())
	}
}

// The default dialer's Control hook is a second check on the address the
// socket connects to. Called directly: no socket is made.
func TestDialerControl(t *testing.T) {
	control := netDialer(time.Second, false).Control
	for addr, blocked := range map[string]bool{
		"127.0.0.1:80":         true,
		"[::1]:443":            true,
		"169.254.169.254:80":   true,
		"[::ffff:10.0.0.1]:80": true,
		publicIP + ":80":       false,
	} {
		if err := control("tcp", addr, nil); errors.Is(err, ErrBlockedAddress) != blocked {
			t.Errorf("Control(%s) = %v, want blocked %v", addr, err, blocked)
		}
	}
	if netDialer(time.Second, true).Control != nil {
		t.Error("the allow-private dialer has a Control hook")
	}
}

func TestGuardRedirectToPrivate(t *testing.T) {
	targets := []string{
		"http://evil.test/",                        // resolves to 10.0.0.1
		"http://127.0.0.1/",                        // literal loopback
		"http://169.254.169.254/latest/meta-data/", // metadata
		"http://[::ffff:7f00:1]/",                  // mapped loopback
		"http://0x7f000001/",                       // numeric host that some resolvers map to loopback
	}
	for _, target := range targets {
		t.Run(target, func(t *testing.T) {
			srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target, http.StatusFound)
			})
			fn := newFakeNet()
			fn.route("public.test", srv)
			fn.hosts["evil.test"] = []string{"10.0.0.1"}
			fn.hosts["0x7f000001"] = []string{"127.0.0.1"}
			o := testOptions()
			o.Resolver, o.DialContext = fn, fn.DialContext
			c := New(o)

			_, err := c.Get(context.Background(), Request{URL: "http://public.test/"})
			if !errors.Is(err, ErrBlockedAddress) {
				t.Fatalf("Get: err = %v, want ErrBlockedAddress", err)
			}
			// The same through Transport, as colly follows links and redirects.
			hc := &http.Client{Transport: c.Transport(false)}
			resp, err := hc.Get("http://public.test/")
			if err == nil {
				resp.Body.Close()
			}
			if !errors.Is(err, ErrBlockedAddress) {
				t.Fatalf("Transport: err = %v, want ErrBlockedAddress", err)
			}
			for _, d := range fn.Dialled() {
				if d != publicIP+":80" {
					t.Errorf("dialled %s", d)
				}
			}
		})
	}
}

func TestUnsupportedScheme(t *testing.T) {
	c := New(testOptions())
	for _, u := range []string{"file:///etc/passwd", "ftp://example.com/", "gopher://x/"} {
		if _, err := c.Get(context.Background(), Request{URL: u}); !errors.Is(err, ErrUnsupportedScheme) {
			t.Errorf("Get(%s) err = %v, want ErrUnsupportedScheme", u, err)
		}
	}
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	_, err := c.Get(context.Background(), Request{URL: srv.URL, AllowPrivate: true})
	if !errors.Is(err, ErrUnsupportedScheme) {
		t.Errorf("redirect to file: err = %v, want ErrUnsupportedScheme", err)
	}
}
