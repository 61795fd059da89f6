package crawler

import (
	"bytes"
	"fmt"
)

// maxFeedDepth bounds how deeply a feed's elements may nest. Real feeds
// nest a few dozen levels (XHTML content included); the XML parser under
// gofeed keeps a record per open element, so a hostile 10 MB feed of
// nested elements would cost hundreds of megabytes.
const maxFeedDepth = 1000

// checkFeedDepth fails when body nests elements deeper than maxFeedDepth.
// It scans bytes, skipping comments, CDATA sections, declarations and
// processing instructions, so HTML inside CDATA does not count.
func checkFeedDepth(body []byte) error {
	depth := 0
	for i := 0; i < len(body); {
		j := bytes.IndexByte(body[i:], '<')
		if j < 0 {
			return nil
		}
		i += j
		rest := body[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			i = skipPast(body, i, "-->")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			i = skipPast(body, i, "]]>")
		case bytes.HasPrefix(rest, []byte("<?")), bytes.HasPrefix(rest, []byte("<!")):
			i = skipPast(body, i, ">")
		case bytes.HasPrefix(rest, []byte("</")):
			depth = max(depth-1, 0)
			i = skipPast(body, i, ">")
		default:
			end := skipPast(body, i, ">")
			if end-i < 2 || body[end-2] != '/' {
				depth++
			}
			if depth > maxFeedDepth {
				return fmt.Errorf("elements nested more than %d deep", maxFeedDepth)
			}
			i = end
		}
	}
	return nil
}

// skipPast is the index just after the first sep at or after i, or
// len(b).
func skipPast(b []byte, i int, sep string) int {
	if k := bytes.Index(b[i+1:], []byte(sep)); k >= 0 {
		return i + 1 + k + len(sep)
	}
	return len(b)
}
