package story

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"testing"
)

// words returns n distinct words starting at word number from, so tests
// can build texts whose shingle sets overlap by a known amount.
func words(from, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = fmt.Sprintf("w%d", from+i)
	}
	return strings.Join(w, " ")
}

func TestSignShape(t *testing.T) {
	tests := []struct {
		name, title, text string
		wantLen           int
	}{
		{"article", "Talks open in Geneva", words(0, 200), sigLen},
		{"title only", "Talks open in Geneva", "", sigLen},
		{"fewer words than a shingle", "", "Geneva", sigLen},
		{"empty", "", "", 0},
		{"no words", "", " -- ... !!! ", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := Sign(tt.title, tt.text)
			if len(sig) != tt.wantLen {
				t.Fatalf("len(Sign) = %d, want %d", len(sig), tt.wantLen)
			}
			if tt.wantLen == 0 {
				if Bands(sig) != nil || Similar(sig, sig) {
					t.Errorf("an empty signature has bands or is similar to itself")
				}
				return
			}
			if !Similar(sig, sig) || Estimate(sig, sig) != 1 {
				t.Errorf("a signature is not similar to itself")
			}
		})
	}
}

// Signatures are stored, so the same text must give the same bytes in every
// process and release. A change here invalidates stored stories: bump
// version and say so in the changelog.
func TestSignStable(t *testing.T) {
	sig := Sign("Kremlin says talks useful", "MOSCOW - The Kremlin said on Tuesday that talks with the U.S. envoy were useful.")
	sum := sha256.Sum256(sig)
	const want = "c3acfcf2af513448" // first 8 bytes of the SHA-256 of the signature
	if got := hex.EncodeToString(sum[:8]); got != want {
		t.Errorf("signature changed: sha256 prefix %s, want %s", got, want)
	}
}

func TestSignNormalises(t *testing.T) {
	a := Sign("KREMLIN Says: Talks 'Useful'", "Moscow -- the Kremlin's aide said, \"we understand each other\".")
	b := Sign("kremlin says talks useful", "moscow the kremlin s aide said we understand each other")
	if Estimate(a, b) != 1 {
		t.Errorf("case and punctuation changed the signature: estimate %.2f", Estimate(a, b))
	}
	c := Sign("Кремль: переговоры полезны", "Помощник президента сказал, что стороны лучше понимают друг друга.")
	d := Sign("КРЕМЛЬ — переговоры ПОЛЕЗНЫ", "помощник президента сказал что стороны лучше понимают друг друга")
	if Estimate(c, d) != 1 {
		t.Errorf("Cyrillic case changed the signature: estimate %.2f", Estimate(c, d))
	}
}

// The estimate must track the true Jaccard similarity of the shingle sets.
// Text a has words 0..n-1 and b words k..k+n-1: they share n-k-3 of their
// n-3 shingles each.
func TestEstimateTracksJaccard(t *testing.T) {
	const n = 400
	for _, k := range []int{0, 40, 100, 200, 300, 380, 400} {
		shared := max(n-k-(shingleWords-1), 0)
		total := n - (shingleWords - 1)
		exact := float64(shared) / float64(2*total-shared)
		got := Estimate(Sign("", words(0, n)), Sign("", words(k, n)))
		// Five standard errors of a 128-slot estimate at J = 0.5.
		if math.Abs(got-exact) > 5*math.Sqrt(0.25/numHashes) {
			t.Errorf("offset %d: estimate %.3f, exact Jaccard %.3f", k, got, exact)
		}
	}
}

// Headline-sized texts fold only when identical, however much they share.
func TestSimilarShortTexts(t *testing.T) {
	tests := []struct {
		name       string
		a, b       string
		wantFolded bool
	}{
		{"same headline", "Russia-Ukraine war: what we know on day 1,000", "RUSSIA-UKRAINE WAR - what we know on day 1,000", true},
		{"next day's headline", "Russia-Ukraine war: what we know on day 1,000", "Russia-Ukraine war: what we know on day 1,001", false},
		{"long enough texts", words(0, 40), words(0, 40) + " w9999", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Similar(Sign(tt.a, ""), Sign(tt.b, "")); got != tt.wantFolded {
				t.Errorf("Similar = %v (estimate %.2f), want %v", got, Estimate(Sign(tt.a, ""), Sign(tt.b, "")), tt.wantFolded)
			}
		})
	}
}

func TestSimilarRejects(t *testing.T) {
	good := Sign("t", words(0, 100))
	other := Sign("t", words(1000, 100))
	badVersion := append(Signature{version + 1}, good[1:]...)
	tests := []struct {
		name string
		a, b Signature
	}{
		{"unrelated texts", good, other},
		{"nil", nil, good},
		{"truncated", good[:100], good},
		{"other version", badVersion, good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if Similar(tt.a, tt.b) || Similar(tt.b, tt.a) {
				t.Errorf("Similar = true")
			}
		})
	}
	if Bands(badVersion) != nil {
		t.Errorf("Bands of a signature of another version are not nil")
	}
}

func TestBandsEncodeBandIndex(t *testing.T) {
	// Every slot equal: every band holds the same value, and only the band
	// index can keep the keys apart.
	sig := make(Signature, sigLen)
	sig[0] = version
	sig[1] = 200 // shingles
	for i := headerLen; i < sigLen; i += 2 {
		sig[i], sig[i+1] = 0x34, 0x12
	}
	keys := Bands(sig)
	if len(keys) != numBands {
		t.Fatalf("len(Bands) = %d, want %d", len(keys), numBands)
	}
	seen := map[int64]bool{}
	for b, k := range keys {
		if k < 0 || k>>bandIdx != int64(b) {
			t.Errorf("band %d: key %#x does not carry its index", b, k)
		}
		if seen[k] {
			t.Errorf("band %d: key %#x repeats", b, k)
		}
		seen[k] = true
	}
}

// Similar is stricter than a band collision: a pair that shares a single
// band is a candidate, not a duplicate.
func TestSimilarStricterThanBands(t *testing.T) {
	a := Sign("", words(0, 300))
	b := make(Signature, sigLen)
	copy(b, Sign("", words(5000, 300)))
	copy(b[headerLen:headerLen+bandRows*2], a[headerLen:headerLen+bandRows*2]) // share band 0 only
	if Bands(a)[0] != Bands(b)[0] {
		t.Fatal("test setup: band 0 differs")
	}
	if Similar(a, b) {
		t.Errorf("one shared band made the signatures similar")
	}
}
