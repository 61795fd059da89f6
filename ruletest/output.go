package ruletest

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/newswatch/newswatch/matcher"
	"github.com/newswatch/newswatch/model"
)

// printMatch writes one match: the rule and the article's title, then the
// matched words in context, one line per snippet:
//
//	witkoff-moscow: Witkoff lands in Moscow <https://example.com/a>
//	    title: «Witkoff» lands in Moscow
//	    body: …the envoy met «Putin» in the «Kremlin» on…
func printMatch(w io.Writer, a *model.Article, mt model.Match) {
	title := oneLine(a.Title)
	if title == "" {
		title = "(untitled)"
	}
	fmt.Fprintf(w, "%s: %s", mt.Rule, title)
	if link := linkOf(a); link != "" {
		fmt.Fprintf(w, " <%s>", oneLine(link))
	}
	fmt.Fprintln(w)
	for _, s := range snippets(a, mt.Spans) {
		fmt.Fprintf(w, "    %s\n", s)
	}
}

func linkOf(a *model.Article) string {
	if a.Link != "" {
		return a.Link
	}
	return a.CanonicalLink
}

// printError explains a rule that does not compile. For a syntax error it
// shows the query with a caret under the column, as compilers do.
func printError(w io.Writer, err error) {
	var se *matcher.SyntaxError
	if !errors.As(err, &se) {
		fmt.Fprintf(w, "newswatch test: %v\n", err)
		return
	}
	fmt.Fprintf(w, "newswatch test: %v\n", err)
	fmt.Fprintf(w, "    %s\n", oneLine(se.Query))
	fmt.Fprintf(w, "    %s^\n", strings.Repeat(" ", max(se.Col-1, 0)))
	fmt.Fprintf(w, "    %s\n", se.Msg)
}

// oneLine replaces line breaks, tabs and every other control character
// with spaces, one rune for one so columns still line up. Article text comes
// from the web: printed raw, an escape sequence in a title could rewrite
// the terminal, and a bidi override could reorder what the user reads.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			return ' '
		}
		return r
	}, s)
}
