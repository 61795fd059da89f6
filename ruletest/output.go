package ruletest

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/newswatch/newswatch/matcher"
	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/termtext"
)

// printMatch writes one match: the rule and the article's title, then the
// matched words in context, one line per snippet:
//
//	witkoff-moscow: Witkoff lands in Moscow <https://example.com/a>
//	    title: «Witkoff» lands in Moscow
//	    body: …the envoy met «Putin» in the «Kremlin» on…
func printMatch(w io.Writer, a *model.Article, mt model.Match) {
	title := termtext.Line(a.Title)
	if title == "" {
		title = "(untitled)"
	}
	fmt.Fprintf(w, "%s: %s", mt.Rule, title)
	if link := linkOf(a); link != "" {
		fmt.Fprintf(w, " <%s>", termtext.Line(link))
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
	fmt.Fprintf(w, "    %s\n", termtext.Line(se.Query))
	fmt.Fprintf(w, "    %s^\n", strings.Repeat(" ", max(se.Col-1, 0)))
	fmt.Fprintf(w, "    %s\n", se.Msg)
}
