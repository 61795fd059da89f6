package fetch

import (
	"slices"

	"github.com/saintfish/chardet"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"
)

// The detector is saintfish/chardet, a port of ICU's detector (the one
// browsers' ancestors and ICU-based feed readers use): it knows the
// windows-125x family, KOI8-R, ISO-8859-x, Shift_JIS, EUC-JP, EUC-KR,
// GB18030 and Big5 by their byte n-grams. It is colly's dependency, so it
// is in the module graph whatever else changes; gogs/chardet, the other
// candidate (readability's), is an older fork of the same code. ICU has
// no Thai model, so TIS-620 is recognised by its own check (thaiScore).

// detectorSampleLen is how much text the detector reads (ICU's own
// buffer is 8 KiB), collected from the text runs that have non-ASCII
// bytes, so kilobytes of ASCII script and markup do not crowd it out.
const detectorSampleLen = 8 << 10

// Thresholds below which a detector answer is no better than the
// windows-1252 default. ICU's multi-byte recognisers give 10 to any input
// without invalid sequences, so they must do better than that.
const (
	minSingleByteConfidence = 10
	minMultiByteConfidence  = 20
	minThaiScore            = 0.97
)

// detectorNames maps ICU's names to the encoding used for them: a
// superset where one exists (ISO-8859-1 text is windows-1252, as browsers
// read it; KOI8-U has KOI8-R's Russian and Ukrainian's letters besides).
var detectorNames = map[string]string{
	"ISO-8859-1":   "windows-1252",
	"ISO-8859-8":   "windows-1255",
	"ISO-8859-8-I": "windows-1255",
	"ISO-8859-9":   "windows-1254",
	"KOI8-R":       "koi8-u",
	"GB-18030":     "gb18030",
}

var multiByte = []string{"Shift_JIS", "EUC-JP", "EUC-KR", "GB-18030", "Big5", "ISO-2022-JP", "ISO-2022-KR", "ISO-2022-CN"}

// detectCharset guesses the encoding of undeclared text that is not UTF-8.
func detectCharset(body []byte) (Charset, bool) {
	sample := detectorSample(body)
	if len(sample) == 0 {
		return Charset{}, false
	}
	if score := thaiScore(sample); score >= minThaiScore {
		return Charset{Name: "windows-874", From: FromDetector, Confidence: score, enc: charmap.Windows874}, true
	}
	results, err := chardet.NewTextDetector().DetectAll(sample)
	if err != nil {
		return Charset{}, false
	}
	best, ok := bestResult(results)
	if !ok {
		return Charset{}, false
	}
	label := best.Charset
	if n, ok := detectorNames[label]; ok {
		label = n
	}
	enc, name := charset.Lookup(label)
	if enc == nil {
		return Charset{}, false
	}
	return Charset{Name: name, From: FromDetector, Confidence: float64(best.Confidence) / 100, enc: enc}, true
}

// bestResult is the most confident usable answer. Unicode answers are
// dropped (the BOM, appendix F and UTF-8 rules have spoken), and ties go
// to windows-1252 (the default), then by name: chardet's order among
// equals depends on goroutine scheduling.
func bestResult(results []chardet.Result) (chardet.Result, bool) {
	results = slices.DeleteFunc(results, func(r chardet.Result) bool {
		switch r.Charset {
		case "UTF-8", "UTF-16BE", "UTF-16LE", "UTF-32BE", "UTF-32LE":
			return true
		}
		if slices.Contains(multiByte, r.Charset) {
			return r.Confidence < minMultiByteConfidence
		}
		return r.Confidence < minSingleByteConfidence
	})
	if len(results) == 0 {
		return chardet.Result{}, false
	}
	rank := func(r chardet.Result) int {
		if r.Charset == "windows-1252" || r.Charset == "ISO-8859-1" {
			return 0
		}
		return 1
	}
	return slices.MinFunc(results, func(a, b chardet.Result) int {
		switch {
		case a.Confidence != b.Confidence:
			return b.Confidence - a.Confidence
		case rank(a) != rank(b):
			return rank(a) - rank(b)
		case a.Charset < b.Charset:
			return -1
		case a.Charset > b.Charset:
			return 1
		}
		return 0
	}), true
}

// detectorSample joins the runs of text between markup and line breaks
// that contain non-ASCII bytes, up to detectorSampleLen bytes.
func detectorSample(body []byte) []byte {
	var out []byte
	start, high := 0, false
	for i := 0; i <= len(body) && len(out) < detectorSampleLen; i++ {
		if i < len(body) && body[i] >= 0x80 {
			high = true
		}
		if i < len(body) && body[i] != '<' && body[i] != '>' && body[i] != '\n' {
			continue
		}
		if high {
			out = append(out, body[start:i]...)
			out = append(out, '\n')
		}
		start, high = i+1, false
	}
	return out[:min(len(out), detectorSampleLen)]
}

// thaiScore is how well sample's non-ASCII bytes fit TIS-620 (windows-874)
// Thai: every byte a Thai character or a windows-874 punctuation mark,
// every above/below vowel and tone mark after a consonant or another mark,
// every leading vowel before a consonant. 0 when there are too few marks
// to judge; no other script's text keeps to these rules for long.
func thaiScore(sample []byte) float64 {
	checks, legal := 0, 0
	for i, b := range sample {
		if b < 0x80 {
			continue
		}
		checks++
		var prev, next byte
		if i > 0 {
			prev = sample[i-1]
		}
		if i+1 < len(sample) {
			next = sample[i+1]
		}
		switch {
		case thaiMark(b):
			if thaiConsonant(prev) || thaiMark(prev) {
				legal++
			}
		case 0xE0 <= b && b <= 0xE4: // leading vowels
			if thaiConsonant(next) {
				legal++
			}
		case thaiConsonant(b), 0xD0 <= b && b <= 0xDA, 0xDF <= b && b <= 0xFB,
			b == 0x80, b == 0x85, 0x91 <= b && b <= 0x97, b == 0xA0:
			legal++
		}
	}
	if checks < 32 {
		return 0
	}
	return float64(legal) / float64(checks)
}

func thaiConsonant(b byte) bool { return 0xA1 <= b && b <= 0xCE }

// thaiMark: MAI HAN-AKAT, the above and below vowels, and the tone and
// other marks that sit on a consonant.
func thaiMark(b byte) bool { return b == 0xD1 || (0xD4 <= b && b <= 0xDA) || (0xE7 <= b && b <= 0xEE) }
