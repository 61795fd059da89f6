package fetch

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// private lets a test reach its httptest server on 127.0.0.1.
func private(url string) Request { return Request{URL: url, AllowPrivate: true} }

func TestSlowDripCutByDeadline(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.WriteHeader(http.StatusOK)
		for i := 0; i < 50; i++ { // bounded: at most 5 s if never cut
			if _, err := w.Write([]byte("<")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	start := time.Now()
	_, err := New(testOptions()).Get(context.Background(), private(srv.URL))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("cut after %s, want about 300ms", elapsed)
	}
}

func TestSlowHeadersCutByDeadline(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	start := time.Now()
	_, err := New(testOptions()).Get(context.Background(), private(srv.URL))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("cut after %s", elapsed)
	}
}

func TestEndlessBodyCutAtDefaultCap(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for i := 0; i < 1024; i++ { // bounded at 64 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	o := testOptions()
	o.Timeout = 5 * time.Second
	_, err := New(o).Get(context.Background(), private(srv.URL))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

func TestContentLengthOverCap(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(2<<20))
		w.Write(make([]byte, 2<<20))
	})
	o := testOptions()
	o.MaxBodySize = 1 << 20
	_, err := New(o).Get(context.Background(), private(srv.URL))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

// gzipBomb is 100 MiB of zeros as 100 concatenated gzip members of 1 MiB
// each (a valid multi-member stream), so building it is cheap.
func gzipBomb(t *testing.T) []byte {
	t.Helper()
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	return bytes.Repeat(member.Bytes(), 100)
}

func TestGzipBombCutAtCap(t *testing.T) {
	bomb := gzipBomb(t)
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/xml")
		w.Write(bomb)
	})
	o := testOptions()
	o.Timeout = 5 * time.Second
	c := New(o)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := c.Get(context.Background(), private(srv.URL))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	// The cap is 10 MiB; the bomb is 100 MiB. Growing a buffer to the cap
	// allocates about twice the cap in total.
	alloc := after.TotalAlloc - before.TotalAlloc
	if alloc > 48<<20 {
		t.Errorf("allocated %d MiB while reading the bomb", alloc>>20)
	}
	t.Logf("allocated %d MiB", alloc>>20)
}

func TestDecodesGzipAndDeflate(t *testing.T) {
	const doc = "<rss><channel><title>Kremlin</title></channel></rss>"
	compress := map[string]func() []byte{
		"gzip": func() []byte {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write([]byte(doc))
			zw.Close()
			return b.Bytes()
		},
		"deflate": func() []byte { // zlib-wrapped, as RFC 9110 says
			var b bytes.Buffer
			zw := zlib.NewWriter(&b)
			zw.Write([]byte(doc))
			zw.Close()
			return b.Bytes()
		},
	}
	for enc, body := range compress {
		t.Run(enc, func(t *testing.T) {
			srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
				if !strings.Contains(r.Header.Get("Accept-Encoding"), enc) {
					t.Errorf("Accept-Encoding %q lacks %s", r.Header.Get("Accept-Encoding"), enc)
				}
				w.Header().Set("Content-Encoding", enc)
				w.Write(body())
			})
			resp, err := New(testOptions()).Get(context.Background(), private(srv.URL))
			if err != nil {
				t.Fatal(err)
			}
			if string(resp.Body) != doc {
				t.Errorf("body = %q", resp.Body)
			}
		})
	}
}

func TestEmptyGzipBody(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.(http.Flusher).Flush() // chunked, so no Content-Length: 0 to go by
	})
	resp, err := New(testOptions()).Get(context.Background(), private(srv.URL))
	if err != nil || len(resp.Body) != 0 {
		t.Fatalf("Get = %v, %v; want an empty body", resp, err)
	}
}

func TestRedirects(t *testing.T) {
	tests := []struct {
		name     string
		chain    int // redirects before a 200; -1: endless loop
		wantErr  error
		wantHits int64
	}{
		{"ten redirects are followed", 10, nil, 11},
		{"loop stops after ten", -1, ErrTooManyRedirects, 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) {
				n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
				if tt.chain >= 0 && n >= tt.chain {
					fmt.Fprint(w, "done")
					return
				}
				http.Redirect(w, r, fmt.Sprintf("/%d", n+1), http.StatusFound)
			})
			resp, err := New(testOptions()).Get(context.Background(), private(srv.URL+"/0"))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if hits.Load() != tt.wantHits {
				t.Errorf("server saw %d requests, want %d", hits.Load(), tt.wantHits)
			}
			if err == nil && resp.URL != srv.URL+"/10" {
				t.Errorf("final URL %s", resp.URL)
			}
		})
	}
}

// colly's http.Client sets its own CheckRedirect, which does not count:
// Transport must stop a loop by itself.
func TestTransportStopsRedirectLoop(t *testing.T) {
	srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
	})
	hc := &http.Client{
		Transport:     New(testOptions()).Transport(true),
		CheckRedirect: func(*http.Request, []*http.Request) error { return nil },
	}
	_, err := hc.Get(srv.URL + "/")
	if !errors.Is(err, ErrTooManyRedirects) {
		t.Fatalf("err = %v, want ErrTooManyRedirects", err)
	}
	if hits.Load() != 11 {
		t.Errorf("server saw %d requests, want 11", hits.Load())
	}
}

func TestConditionalGet(t *testing.T) {
	const etag, lastMod = `"v1"`, "Wed, 25 Nov 2026 10:00:00 GMT"
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != "newswatch-test/1.0" {
			t.Errorf("User-Agent = %q", r.Header.Get("User-Agent"))
		}
		if r.Header.Get("If-None-Match") == etag || r.Header.Get("If-Modified-Since") == lastMod {
			w.Header().Set("Content-Encoding", "gzip") // seen in the wild; there is no body
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, "<rss/>")
	})
	c := New(testOptions())
	first, err := c.Get(context.Background(), private(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if first.NotModified || first.ETag != etag || first.LastModified != lastMod || string(first.Body) != "<rss/>" {
		t.Fatalf("first = %+v", first)
	}
	for name, req := range map[string]Request{
		"etag":          {URL: srv.URL, AllowPrivate: true, ETag: etag},
		"last-modified": {URL: srv.URL, AllowPrivate: true, LastModified: lastMod},
	} {
		t.Run(name, func(t *testing.T) {
			second, err := c.Get(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if !second.NotModified || second.StatusCode != 304 || len(second.Body) != 0 {
				t.Errorf("second = %+v, want 304", second)
			}
			// The 304 carried no validators: the request's are kept.
			if second.ETag != req.ETag || second.LastModified != req.LastModified {
				t.Errorf("validators = %q %q", second.ETag, second.LastModified)
			}
		})
	}
}

func TestStatusError(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusNotFound)
	})
	_, err := New(testOptions()).Get(context.Background(), private(srv.URL+"/feed"))
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 404 || se.URL != srv.URL+"/feed" {
		t.Fatalf("err = %#v, want *StatusError 404", err)
	}
	// Errors never carry a password from the URL.
	withPass := strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1) + "/feed"
	for _, allow := range []bool{true, false} {
		_, err = New(testOptions()).Get(context.Background(), Request{URL: withPass, AllowPrivate: allow})
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error %v shows the password", err)
		}
	}
}

// Each charset case end to end: served, fetched, converted, and then
// readable by an XML parser that knows only UTF-8.
func TestCharsetFromServer(t *testing.T) {
	tests := []struct {
		name, contentType, body, want string
	}{
		{"windows-1251 in Content-Type", "application/rss+xml; charset=windows-1251",
			"<?xml version=\"1.0\"?><rss><title>\xc4\xee\xed\xe5\xf6\xea</title></rss>", "Донецк"},
		{"ISO-8859-1 XML prolog", "application/rss+xml",
			"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><title>Caf\xe9 Kyiv</title></rss>", "Café Kyiv"},
		{"UTF-8 BOM", "text/xml",
			"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><title>Zürich</title></rss>", "Zürich"},
		{"undeclared Latin-1", "application/xml",
			"<rss><title>S\xe3o Paulo</title></rss>", "São Paulo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.Write([]byte(tt.body))
			})
			resp, err := New(testOptions()).Get(context.Background(), private(srv.URL))
			if err != nil {
				t.Fatal(err)
			}
			if string(resp.Body) != tt.body {
				t.Fatalf("Get converted the body: %q", resp.Body)
			}
			out, err := ToUTF8(resp.Body, resp.ContentType)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Title string `xml:"title"`
			}
			if err := xml.Unmarshal(out, &doc); err != nil || doc.Title != tt.want {
				t.Errorf("title = %q, %v; want %q (document %q)", doc.Title, err, tt.want, out)
			}
		})
	}
}

// Timeout covers the whole request: a chain of individually quick but slow
// enough redirects is cut, not given a fresh deadline per hop.
func TestDeadlineCoversRedirectChain(t *testing.T) {
	srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(100 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
	})
	start := time.Now()
	_, err := New(testOptions()).Get(context.Background(), private(srv.URL+"/"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second || hits.Load() > 4 {
		t.Errorf("took %s and %d requests, want about 300ms and 3", d, hits.Load())
	}
}

func TestNoRedirects(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/", http.StatusMovedPermanently)
		}
	})
	o := testOptions()
	o.MaxRedirects = -1
	c := New(o)
	if _, err := c.Get(context.Background(), private(srv.URL+"/")); err != nil {
		t.Fatalf("plain request: %v", err)
	}
	if _, err := c.Get(context.Background(), private(srv.URL+"/moved")); !errors.Is(err, ErrTooManyRedirects) {
		t.Fatalf("redirect: err = %v, want ErrTooManyRedirects", err)
	}
}

// Through Transport (colly follows redirects itself) each hop would get a
// Timeout of its own; under WithBudget the chain shares one.
func TestTransportBudgetCoversRedirectChain(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(100 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		if len(r.URL.Path) < 6 { // "/" then 5 hops, 500ms in all
			http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
		}
	})
	hc := &http.Client{Transport: New(testOptions()).Transport(true)}
	get := func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(context.Background()); err != nil {
		t.Fatalf("without a budget each 100ms hop fits its own 300ms: %v", err)
	}
	start := time.Now()
	if err := get(WithBudget(context.Background())); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("with a budget: err = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("with a budget the chain took %s, want about 300ms", d)
	}
}
