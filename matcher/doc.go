// Package matcher implements newswatch's rule language: it normalises text,
// parses queries such as `Witkoff AND (Kremlin OR Putin)`, and matches many
// compiled rules against an article at once, reporting where each rule
// matched so alerts can highlight the words.
//
// Normalisation (Unicode NFKC, case folding, diacritics and
// Default_Ignorable characters such as the soft hyphen removed, letters and
// digits form words, each Han, Hiragana or Katakana character a word of its
// own) is applied to both the query and the article, so a query word
// matches the article word exactly or not at all: `Kremlin` matches
// "Kremlin's" and "Krem\u00adlin" but never "Kremlinology"; `人工智能` is the
// phrase of its four characters.
//
// The Matcher indexes, for every rule, a set of words at least one of which
// must occur in any article the rule matches (the presearcher idea of Lucene
// Monitor). An article is tokenised once; only the rules whose words it
// contains are evaluated, so the cost per article follows the article's
// length and the number of candidate rules, not the number of rules.
package matcher
