package crawler

import (
	"fmt"
	"net/url"

	"github.com/newswatch/newswatch/fetch"
)

// decode converts a fetched or loaded body to UTF-8 and logs, at debug
// level, how its charset was decided, so a page read as mojibake can be
// traced to the rule that chose ("charset windows-1251 from detector,
// confidence 0.93"). where is the URL or the file.
func (c *Crawler) decode(body []byte, contentType, where string) ([]byte, error) {
	out, cs, err := fetch.Decode(body, contentType)
	if err != nil {
		return nil, err
	}
	c.log.Debug(fmt.Sprintf("crawler: charset %s", cs), "url", withoutSecrets(where), "charset", cs.Name, "from", cs.From)
	return out, nil
}

// withoutSecrets is a URL without userinfo, query or fragment: what a
// debug line needs, and nothing a secret could hide in (values the config
// filled from ${VAR} are not known here). Other text is returned as is.
func withoutSecrets(where string) string {
	u, err := url.Parse(where)
	if err != nil || u.Host == "" {
		return where
	}
	u.User, u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = nil, "", "", "", false
	return u.String()
}
