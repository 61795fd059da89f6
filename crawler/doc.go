// Package crawler turns sources into articles: it reads RSS, Atom and JSON
// feeds with gofeed and crawls web-page sources with colly, reducing every
// item to a plain-text model.Article with its canonical link. All network
// access goes through a fetch.Client, so the same guards, caps and politeness
// apply to feeds, listing pages and article pages alike. Load reads a single
// URL, file or stdin for `newswatch test`.
//
// Text is taken as a browser shows it: bodies are decoded by fetch.Decode
// (the decision logged at debug level), HTML is parsed with x/net/html's
// HTML5 tree builder into bounded trees (htmltree.go: at most 50,000
// elements and 500 levels), and past the bounds the text is streamed from
// the tokenizer, so memory follows the body cap and not the markup's shape.
// Each text field is capped at MaxTextBytes (1 MiB by default).
package crawler
