// Package story detects near-duplicate articles: the same wire story carried
// by several outlets, lightly edited (a reworded headline, a sentence added,
// dropped or moved, other bylines and boilerplate), so that newswatch can fold
// them into one story with one alert (SPEC "Dedup and stories").
//
// The method is MinHash over word shingles with LSH banding. The title and
// text are normalised (lower case, words of letters and digits) and cut into
// overlapping 4-word shingles; a [Signature] keeps, for each of 128 hash
// functions, the low 16 bits of the minimum hash over all shingles. The share
// of equal slots in two signatures estimates the Jaccard similarity of their
// shingle sets. [Similar] folds two articles when that estimate is at least
// 0.4. [Bands] groups the slots into 42 bands of 3, so that near duplicates
// share at least one band key with high probability (0.94 at Jaccard 0.4,
// 0.99 at 0.5) while unrelated articles almost never do; callers index band
// keys to find candidates and then confirm each with Similar. Headline-sized
// texts (under 12 shingles) fold only when their signatures are identical.
//
// Word shingles, not bags of words, are what keep apart different reports
// that share names and keywords: a follow-up on the same talks uses the same
// vocabulary but different sentences, so few 4-word runs coincide.
package story
