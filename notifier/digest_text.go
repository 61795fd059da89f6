package notifier

import (
	"fmt"
	"strings"

	"github.com/newswatch/newswatch/model"
)

// FormatDigestText renders a digest (or one part of it) for stdout, in the
// style of FormatText: the heading, then each story's title, link, source
// and rules, and every other outlet's copy with its link. Article text is
// cleaned of control and bidi characters.
func FormatDigestText(d model.Digest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "▶ %s%s\n", digestHeading(d), partSuffix(d))
	for _, e := range d.Entries {
		fmt.Fprintf(&b, "  • %s\n", textTitle(e.Article))
		if link := plainLink(articleLink(e.Article)); link != "" {
			fmt.Fprintf(&b, "    %s\n", link)
		}
		fmt.Fprintf(&b, "    source: %s · rules: %s\n", sourceOf(e.Article), cleanText(strings.Join(e.Rules, ", ")))
		if len(e.Others) > 0 {
			fmt.Fprintf(&b, "    … and %d other %s:\n", len(e.Others), plural(len(e.Others), "outlet", "outlets"))
		}
		for _, o := range e.Others {
			line := sourceOf(o) + ": " + textTitle(o)
			if link := plainLink(articleLink(o)); link != "" {
				line += " <" + link + ">"
			}
			fmt.Fprintf(&b, "      - %s\n", line)
		}
	}
	b.WriteString("\n")
	return b.String()
}

func textTitle(a model.Article) string {
	if t := truncate(cleanText(a.Title), 300); t != "" {
		return t
	}
	return "(untitled)"
}
