package crawler

import (
	"fmt"

	"github.com/newswatch/newswatch/fetch"
	"github.com/newswatch/newswatch/redact"
)

// decode converts a fetched or loaded body to UTF-8 and logs, at debug
// level, how its charset was decided (where: the URL, redacted, or the
// file), so a page read as mojibake can be
// traced to the rule that chose ("charset windows-1251 from detector,
// confidence 0.93").
func (c *Crawler) decode(body []byte, contentType, where string) ([]byte, error) {
	out, cs, err := fetch.Decode(body, contentType)
	if err != nil {
		return nil, err
	}
	c.log.Debug(fmt.Sprintf("crawler: charset %s", cs), "url", redact.URL(where), "charset", cs.Name, "from", cs.From)
	return out, nil
}
