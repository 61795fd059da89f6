package urlcanon

import "strings"

// trackingPrefixes are query-key prefixes that only identify a campaign.
var trackingPrefixes = []string{
	"utm_", // Google Analytics campaign tags: utm_source, utm_medium, ...
}

// trackingKeys are query keys, compared case-insensitively, that say who
// shared or clicked a link and never which article it is. The list is
// deliberately explicit: a parameter is added only when it is known to be
// pure tracking, because stripping a real one would fold different pages.
var trackingKeys = map[string]bool{
	// Ad-click identifiers.
	"fbclid": true, "gclid": true, "gclsrc": true, "dclid": true,
	"gbraid": true, "wbraid": true, "msclkid": true, "yclid": true,
	"twclid": true, "ttclid": true, "li_fat_id": true, "igshid": true,
	// Mailchimp, HubSpot, Marketo, Vero newsletter tags.
	"mc_cid": true, "mc_eid": true, "_hsenc": true, "_hsmi": true,
	"mkt_tok": true, "vero_id": true, "vero_conv": true,
	// Google Analytics cross-domain linker.
	"_ga": true, "_gl": true,
	// Twitter/X share source.
	"ref_src": true, "ref_url": true,
	// Publisher campaign tags: the Guardian (CMP), BBC/comScore (ns_*),
	// AT Internet (at_*, xtor), MSN (ocid).
	"cmp": true, "ns_mchannel": true, "ns_source": true,
	"ns_campaign": true, "ns_linkname": true, "ns_fee": true,
	"at_medium": true, "at_campaign": true, "xtor": true, "ocid": true,
}

// IsTracking reports whether a (decoded) query key is a tracking parameter
// that Canonical removes: any key starting with "utm_", or one of fbclid,
// gclid, gclsrc, dclid, gbraid, wbraid, msclkid, yclid, twclid, ttclid,
// li_fat_id, igshid, mc_cid, mc_eid, _hsenc, _hsmi, mkt_tok, vero_id,
// vero_conv, _ga, _gl, ref_src, ref_url, cmp, ns_mchannel, ns_source,
// ns_campaign, ns_linkname, ns_fee, at_medium, at_campaign, xtor and ocid.
// Keys are compared case-insensitively.
func IsTracking(key string) bool {
	k := strings.ToLower(key)
	if trackingKeys[k] {
		return true
	}
	for _, p := range trackingPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}
