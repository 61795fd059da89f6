package matcher

import (
	"reflect"
	"testing"
)

// FuzzParse: no query makes Parse panic, and a query that parses prints
// back to a canonical form that parses to the same tree.
func FuzzParse(f *testing.F) {
	for _, c := range matchCases {
		f.Add(c.query)
	}
	for _, s := range []string{`title:(a1 -b1)`, `source:"a b" x1`, "a1 NEAR/3 b1 NEAR/3 c1", `-"x y"`, "site:.", "((a1)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := Parse(query)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("Parse(%q) error %T, want *SyntaxError", query, err)
			}
			return
		}
		s := q.String()
		again, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String %q fails: %v", query, s, err)
		}
		if !reflect.DeepEqual(q, again) {
			t.Fatalf("Parse(%q).String() = %q reparses to a different tree: %q", query, s, again.String())
		}
	})
}
