package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"os"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

// A realistic feed: 20 items, about 20 KB.
func benchFeed() []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss><channel><title>World</title>`)
	for i := 0; i < 20; i++ {
		b.WriteString(`<item><title>Kremlin talks on Donetsk — Донецк</title><description>`)
		b.WriteString(strings.Repeat("Envoys met in Moscow to discuss the peace plan. ", 20))
		b.WriteString(`</description></item>`)
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

func BenchmarkGetGzipFeed(b *testing.B) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(benchFeed())
	zw.Close()
	srv, _ := server(b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz.Bytes())
	})
	c := New(Options{Unpaced: true})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Get(context.Background(), private(srv.URL)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToUTF8(b *testing.B) {
	utf := benchFeed()
	latin := bytes.ReplaceAll(bytes.ReplaceAll(utf, []byte("Донецк"), []byte("Z\xfcrich")), []byte("UTF-8"), []byte("ISO-8859-1"))
	for name, body := range map[string][]byte{"utf-8": utf, "iso-8859-1": latin} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ToUTF8(body, "application/rss+xml"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeUndeclared is the detector's path: an undeclared
// windows-1251 article of realistic length.
func BenchmarkDecodeUndeclared(b *testing.B) {
	text, err := os.ReadFile("testdata/charset/ru.txt")
	if err != nil {
		b.Fatal(err)
	}
	body, err := charmap.Windows1251.NewEncoder().Bytes([]byte(strings.NewReplacer("«", `"`, "»", `"`, "—", "-").Replace(string(text))))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, cs, err := Decode(body, ""); err != nil || cs.From != FromDetector {
			b.Fatal(cs, err)
		}
	}
}
