// Package crawler turns sources into articles: it reads RSS, Atom and JSON
// feeds with gofeed and crawls web-page sources with colly, reducing every
// item to a plain-text model.Article with its canonical link. All network
// access goes through a fetch.Client, so the same guards, caps and politeness
// apply to feeds, listing pages and article pages alike. Load reads a single
// URL, file or stdin for `newswatch test`.
package crawler
