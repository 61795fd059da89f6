package matcher

import (
	"net/url"
	"strings"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/urlcanon"
)

// fields lists the article fields matched, in order. Phrases and NEAR look
// at one field at a time.
var fields = [...]model.Field{model.FieldTitle, model.FieldSummary, model.FieldBody}

// Field masks: a node evaluates against the fields in its mask; title:
// narrows the mask to the title.
const (
	maskTitle = 1 << model.FieldTitle
	maskAll   = 1<<model.FieldTitle | 1<<model.FieldSummary | 1<<model.FieldBody
)

func inMask(mask uint8, f model.Field) bool { return mask&(1<<f) != 0 }

// articleHost is the host site: compares with: the canonical link's, else
// the link's, in urlcanon's canonical form; "" when there is none.
func articleHost(a *model.Article) string {
	link := a.CanonicalLink
	if link == "" {
		link = a.Link
	}
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil {
		return ""
	}
	h, err := urlcanon.Host(u.Hostname())
	if err != nil {
		return ""
	}
	return h
}

// interval is one occurrence of a word, phrase or prefix: token positions
// [lo, hi] in a field, and the bytes [start, end) of the original text.
type interval struct {
	field      model.Field
	lo, hi     int
	start, end int
}

func (iv interval) span() model.Span {
	return model.Span{Field: iv.field, Start: iv.start, End: iv.end}
}

// near reports whether two occurrences are distinct and at most n words
// apart, counting from their nearer ends: in "Witkoff met Putin" the two
// names are 2 apart.
func near(a, b interval, n int) bool {
	if a.field != b.field {
		return false
	}
	if a.hi < b.lo {
		return b.lo-a.hi <= n
	}
	if b.hi < a.lo {
		return a.lo-b.hi <= n
	}
	return false
}
