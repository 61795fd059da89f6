package fetch

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/gocolly/colly/v2"
)

// Transport as colly uses it: gzip decoded once (colly must not try again),
// the guard applied to a followed link.
func TestTransportWithColly(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(`<html><h1>Kremlin</h1><a href="http://evil.test/admin">x</a></html>`))
		zw.Close()
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(b.Bytes())
	})
	fn := newFakeNet()
	fn.route("public.test", srv)
	fn.hosts["evil.test"] = []string{"10.0.0.1"}
	o := testOptions()
	o.Resolver, o.DialContext = fn, fn.DialContext
	c := New(o)

	col := colly.NewCollector(colly.AllowURLRevisit())
	col.WithTransport(c.Transport(false))
	var mu sync.Mutex
	var titles []string
	var errs []error
	var visitErr error
	col.OnHTML("h1", func(e *colly.HTMLElement) {
		mu.Lock()
		defer mu.Unlock()
		titles = append(titles, e.Text)
	})
	col.OnHTML("a[href]", func(e *colly.HTMLElement) {
		visitErr = e.Request.Visit(e.Attr("href"))
	})
	col.OnError(func(_ *colly.Response, err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	})
	if err := col.Visit("http://public.test/"); err != nil {
		t.Fatal(err)
	}
	col.Wait()
	if len(titles) != 1 || titles[0] != "Kremlin" {
		t.Errorf("titles = %q", titles)
	}
	if !errors.Is(visitErr, ErrBlockedAddress) {
		t.Errorf("following the link: %v, want ErrBlockedAddress", visitErr)
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrBlockedAddress) {
		t.Errorf("OnError got %v, want one ErrBlockedAddress", errs)
	}
	for _, d := range fn.Dialled() {
		if d != publicIP+":80" {
			t.Errorf("dialled %s", d)
		}
	}
}
