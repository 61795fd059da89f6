package story

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// article5KB is about 5 KB of real prose from the evaluation set.
func article5KB(b *testing.B) (title, text string) {
	var sb strings.Builder
	arts := loadEval(b)
	for _, a := range arts {
		if sb.Len() >= 5*1024 {
			break
		}
		sb.WriteString(a.Text + "\n\n")
	}
	return arts[0].Title, sb.String()[:5*1024]
}

// corpus makes n distinct synthetic articles of 250 to 400 words drawn from
// a Zipf-distributed vocabulary, so that common words recur as in news text.
func corpus(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 1))
	vocab := make([]string, 20000)
	for i := range vocab {
		w := make([]byte, 2+r.IntN(9))
		for j := range w {
			w[j] = byte('a' + r.IntN(26))
		}
		vocab[i] = string(w)
	}
	zipf := rand.NewZipf(r, 1.1, 2, uint64(len(vocab)-1))
	out := make([]string, n)
	var sb strings.Builder
	for i := range out {
		sb.Reset()
		for range 250 + r.IntN(150) {
			sb.WriteString(vocab[zipf.Uint64()])
			sb.WriteByte(' ')
		}
		out[i] = sb.String()
	}
	return out
}

func BenchmarkSign(b *testing.B) {
	title, text := article5KB(b)
	b.SetBytes(int64(len(title) + len(text)))
	start := cpuTime()
	for b.Loop() {
		Sign(title, text)
	}
	reportCPU(b, start)
}

// reportCPU adds CPU time per operation to the wall-clock ns/op.
func reportCPU(b *testing.B, start time.Duration) {
	if b.N > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkIndexLookupInsert is the per-article story step with 100,000
// stories in the window: look up candidates and confirm them, then insert.
// Signing is measured by BenchmarkSign.
func BenchmarkIndexLookupInsert(b *testing.B) {
	const window = 100_000
	idx := NewIndex()
	for i, text := range corpus(window, 1) {
		idx.Add(int64(i), Sign("", text))
	}
	fresh := corpus(10_000, 2)
	sigs := make([]Signature, len(fresh))
	for i, text := range fresh {
		sigs[i] = Sign("", text)
	}
	i := 0
	start := cpuTime()
	for b.Loop() {
		sig := sigs[i%len(sigs)]
		idx.Lookup(sig)
		idx.Add(int64(window+i), sig)
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "articles/s")
	reportCPU(b, start)
	if cpu := cpuTime() - start; cpu > 0 {
		b.ReportMetric(float64(i)/cpu.Seconds(), "articles/cpu-s")
	}
}
