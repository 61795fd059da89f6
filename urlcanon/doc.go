// Package urlcanon turns article links into canonical links: the key by which
// newswatch recognises the same article reached through different feeds,
// share buttons and campaigns (SPEC "Dedup and stories").
//
// Canonical keeps what names the resource and drops what only decorates the
// request: scheme and host are lower-cased, an IDN host becomes lower-case
// punycode, a trailing dot on the host, the fragment, the default port,
// user credentials and tracking parameters (see [IsTracking]) are removed,
// the remaining query parameters are sorted by key, percent-encodings are
// normalised (RFC 3986 section 6.2.2) and dot segments are removed. The case
// of the path and of query values is kept, since servers may treat it as
// significant.
package urlcanon
