// Package fetch is newswatch's hardened HTTP client. Feeds (through Get) and
// page sources (colly, through Transport) both go through it, so every
// request gets the same protections against slow, huge, broken or hostile
// servers:
//
//   - timeouts on dial, TLS handshake and response headers, plus a deadline
//     on the whole request, body and redirects included, so a
//     one-byte-a-second drip is cut (through Transport, a caller that
//     follows redirects itself gets that with WithBudget);
//   - gzip and deflate decoded here, with the size cap applied to the decoded
//     bytes (an endless body or a gzip bomb stops at the cap with ErrTooLarge);
//   - at most MaxRedirects redirects (ErrTooManyRedirects);
//   - an SSRF guard at dial time: the resolved address is checked, so DNS
//     cannot dodge it, and redirects and followed links are covered too
//     (ErrBlockedAddress), unless the request allows private addresses;
//   - politeness: a per-host concurrency limit and delay, a global limit, and
//     a host's 429/503 Retry-After honoured by failing later requests to that
//     host fast (ErrHostBackoff) until the time has passed, rather than
//     holding a worker for minutes; hosts are keyed by name, not port;
//   - conditional GET (ETag, Last-Modified) and robots.txt (RobotsAllowed);
//   - bounded memory on a long-running daemon: per-host state and cached
//     robots.txt files are forgotten once idle or expired.
//
// Proxy settings from the environment are deliberately ignored: a proxy
// would make the connection the guard has to check.
//
// Decode (and ToUTF8) converts a body to UTF-8 from the charset
// DecideCharset picks, in one place and one documented order: BOM, XML
// appendix F, Content-Type, XML prolog or <meta> anywhere in the head,
// valid UTF-8 over a wrong legacy declaration, then a statistical detector
// (saintfish/chardet, plus a TIS-620 check) for undeclared text. Get
// deliberately returns the bytes unconverted so a caller can pick the right
// moment (feeds and pages both need Decode before parsing).
package fetch
