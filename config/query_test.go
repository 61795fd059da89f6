package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/newswatch/newswatch/matcher"
)

// TestQueryErrorPositions checks that a query's syntax error points at the
// offending character in the file, whatever the scalar's style. The message
// wording is the matcher's; this test takes it from matcher.Parse and checks
// where we put it.
func TestQueryErrorPositions(t *testing.T) {
	tests := []struct {
		name  string
		query []string // the lines after "  - name: r", starting at line 3
		value string   // the query as decoded
		vars  map[string]string
		want  string // FILE:LINE:COL
	}{
		{"plain", []string{"    query: Witkoff AND (Kremlin"}, "Witkoff AND (Kremlin", nil, "t.yaml:3:32"},
		{"single quoted", []string{"    query: 'Witkoff AND (Kremlin'"}, "Witkoff AND (Kremlin", nil, "t.yaml:3:33"},
		{"single quoted with an escaped quote", []string{"    query: 'it''s a )'"}, "it's a )", nil, "t.yaml:3:21"},
		{"double quoted with escapes", []string{`    query: "\"peace plan\" NEAR/x b"`}, `"peace plan" NEAR/x b`, nil, "t.yaml:3:28"},
		{"cyrillic counts characters", []string{"    query: Донецк AND (Киев"}, "Донецк AND (Киев", nil, "t.yaml:3:28"},
		{"literal block", []string{"    query: |", "      Witkoff AND", "      (Kremlin OR )"}, "Witkoff AND\n(Kremlin OR )\n", nil, "t.yaml:5:19"},
		{"folded block", []string{"    query: >-", "      Witkoff AND", "      (Kremlin OR )"}, "Witkoff AND (Kremlin OR )", nil, "t.yaml:5:19"},
		{"multi-line plain", []string{"    query: Witkoff AND", "      (Kremlin OR )"}, "Witkoff AND (Kremlin OR )", nil, "t.yaml:4:19"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := yml(append([]string{"rules:", "  - name: r"}, tt.query...)...)
			_, err := parse(t, src, tt.vars)
			if err == nil {
				t.Fatal("Parse succeeded, want a query error")
			}
			want := tt.want + ": query: " + syntaxMsg(t, tt.value)
			if got := problems(t, err); !reflect.DeepEqual(got, []string{want}) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
			}
		})
	}
	t.Run("expanded from the environment", func(t *testing.T) {
		// ${Q} moved the text, so the scalar's start is the best position.
		_, err := parse(t, yml("rules:", "  - name: r", "    query: ${Q}"), map[string]string{"Q": "a )"})
		want := "t.yaml:3:12: query: " + syntaxMsg(t, "a )") + " (at column 3 of the expanded query)"
		if got := problems(t, err); !reflect.DeepEqual(got, []string{want}) {
			t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
		}
	})
}

func syntaxMsg(t *testing.T, query string) string {
	t.Helper()
	_, err := matcher.Parse(query)
	var se *matcher.SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("matcher.Parse(%q) = %v, want a *SyntaxError", query, err)
	}
	return se.Msg
}

// TestScalarPos checks the position mapping on its own, including columns
// past the end of the value (where "expected ')'" points).
func TestScalarPos(t *testing.T) {
	src := yml(
		`a: plain text`,   // 1
		`b: 'it''s'`,      // 2
		`c: "x\u00e9\ty"`, // 3
		`d: |`,            // 4
		`    one`,         // 5
		`      two`,       // 6
	)
	root := mustNode(t, src)
	lines := splitLines(src)
	tests := []struct {
		key       string
		col       int
		line, out int
	}{
		{"a", 1, 1, 4},
		{"a", 7, 1, 10},
		{"a", 11, 1, 14}, // one past the end
		{"b", 3, 2, 7},   // the quote after the escaped pair
		{"b", 4, 2, 9},
		{"c", 2, 3, 6},  // é is \u00e9: six source characters
		{"c", 3, 3, 12}, // \t is two
		{"d", 1, 5, 5},
		{"d", 5, 6, 5},   // first rune of the second line: its extra indent is content
		{"d", 7, 6, 7},   // "two"
		{"d", 11, 6, 10}, // the end: after "two", not after the final newline
	}
	for _, tt := range tests {
		n := valueOf(t, root, tt.key)
		if line, col := scalarPos(lines, n, tt.col); line != tt.line || col != tt.out {
			t.Errorf("%s col %d: got %d:%d, want %d:%d", tt.key, tt.col, line, col, tt.line, tt.out)
		}
	}
}
