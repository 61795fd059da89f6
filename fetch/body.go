package fetch

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// readBody reads resp's body, undoing its Content-Encoding, and fails with
// ErrTooLarge as soon as the decoded bytes pass limit. Only limit+1 bytes
// are ever held, so a gzip bomb costs at most the cap in memory.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	defer resp.Body.Close()
	if !hasBody(resp) {
		return nil, nil
	}
	codings := contentCodings(resp.Header)
	if len(codings) == 0 && resp.ContentLength > limit {
		return nil, fmt.Errorf("content-length %d over %d bytes: %w", resp.ContentLength, limit, ErrTooLarge)
	}
	r, done, err := decoder(resp.Body, codings)
	if err != nil {
		return nil, err
	}
	defer done()
	hint := int64(0)
	if len(codings) == 0 {
		hint = resp.ContentLength
	}
	data, err := readCapped(r, limit, hint)
	if err != nil {
		return nil, err
	}
	// A little trailing data (a gzip footer's padding) may follow the decoded
	// stream; draining it lets the connection be reused.
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	return data, nil
}

// readCapped reads r to EOF into a buffer that never grows past limit+1
// bytes, failing with ErrTooLarge beyond limit. hint (Content-Length, or
// <= 0 if unknown) sizes the first allocation.
func readCapped(r io.Reader, limit, hint int64) ([]byte, error) {
	size := int64(16 << 10)
	if hint > 0 {
		size = hint + 1 // +1 so EOF can be seen without growing
	}
	buf := make([]byte, 0, min(size, limit+1))
	for {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(2*int64(cap(buf)), limit+1))
			buf = grown[:copy(grown, buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, fmt.Errorf("over %d decoded bytes: %w", limit, ErrTooLarge)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// hasBody is false for responses that cannot have one, whatever their
// headers say: servers do send "Content-Encoding: gzip" on a 304, and a
// gzip reader would fail on the empty body.
func hasBody(resp *http.Response) bool {
	switch {
	case resp.ContentLength == 0, resp.StatusCode == http.StatusNotModified,
		resp.StatusCode == http.StatusNoContent, resp.StatusCode < 200,
		resp.Request != nil && resp.Request.Method == http.MethodHead:
		return false
	}
	return true
}

// contentCodings lists the codings applied to the body, in the order applied.
func contentCodings(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Content-Encoding") {
		for _, c := range strings.Split(v, ",") {
			c = strings.ToLower(strings.TrimSpace(c))
			if c != "" && c != "identity" {
				out = append(out, c)
			}
		}
	}
	return out
}

// gzipReaders recycles gzip readers: each holds a 32 KiB window and
// tables, which would otherwise be allocated for every feed.
var gzipReaders sync.Pool

// decoder undoes codings, last applied first; done releases what it used.
// Three layers is more than any honest server uses.
func decoder(r io.Reader, codings []string) (_ io.Reader, done func(), err error) {
	if len(codings) > 3 {
		return nil, nil, fmt.Errorf("content-encoding %v: too many layers", codings)
	}
	var release []func()
	done = func() {
		for _, f := range release {
			f()
		}
	}
	for i := len(codings) - 1; i >= 0; i-- {
		switch codings[i] {
		case "gzip", "x-gzip":
			var zr *gzip.Reader
			zr, err = gzipReader(r)
			if err == io.EOF {
				r, err = strings.NewReader(""), nil // an empty body, gzip label or not
			}
			if zr != nil {
				release = append(release, func() { gzipReaders.Put(zr) })
				r = zr
			}
		case "deflate":
			r, err = deflateReader(r)
		default:
			err = fmt.Errorf("unsupported content-encoding %q", codings[i])
		}
		if err != nil {
			done()
			return nil, nil, fmt.Errorf("content-encoding %s: %w", codings[i], err)
		}
	}
	return r, done, nil
}

func gzipReader(r io.Reader) (*gzip.Reader, error) {
	if zr, ok := gzipReaders.Get().(*gzip.Reader); ok {
		if err := zr.Reset(r); err != nil {
			gzipReaders.Put(zr)
			return nil, err
		}
		return zr, nil
	}
	return gzip.NewReader(r)
}

// deflateReader accepts both what RFC 9110 calls deflate (a zlib stream)
// and the raw DEFLATE that some servers send instead.
func deflateReader(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if err != nil {
		return nil, err
	}
	if head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
		return zlib.NewReader(br)
	}
	return flate.NewReader(br), nil
}
