package matcher

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF    tokKind = iota
	tLParen         // (
	tRParen         // )
	tAnd            // AND
	tOr             // OR
	tNot            // NOT
	tMinus          // - directly before an operand
	tNear           // NEAR/n
	tWord           // a bare word (may normalise to several words)
	tPrefix         // a bare word ending in *; text without the *
	tPhrase         // "..." ; text without the quotes
	tTitle          // title:
	tSource         // source:value
	tSite           // site:value
)

type lexToken struct {
	kind tokKind
	text string
	n    int // NEAR distance
	off  int // byte offset in the query
}

// maxNear bounds NEAR/n; a larger n is almost certainly a typo.
const maxNear = 1000

// lex splits a query into tokens. Operators are recognised only in upper
// case, so "and", "or" and "near" stay ordinary words.
func lex(q string) ([]lexToken, error) {
	var toks []lexToken
	for i := 0; ; {
		for i < len(q) {
			r, size := utf8.DecodeRuneInString(q[i:])
			if !unicode.IsSpace(r) {
				break
			}
			i += size
		}
		if i == len(q) {
			return append(toks, lexToken{kind: tEOF, off: i}), nil
		}
		t, next, err := lexOne(q, i)
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		i = next
	}
}

// lexOne reads the token starting at q[i] and returns it with the offset
// after it.
func lexOne(q string, i int) (lexToken, int, error) {
	switch c := q[i]; {
	case c == '(':
		return lexToken{kind: tLParen, off: i}, i + 1, nil
	case c == ')':
		return lexToken{kind: tRParen, off: i}, i + 1, nil
	case c == '"':
		text, next, err := lexQuoted(q, i)
		return lexToken{kind: tPhrase, text: text, off: i}, next, err
	case c == '-' && i+1 < len(q) && !spaceAt(q, i+1):
		return lexToken{kind: tMinus, off: i}, i + 1, nil
	}
	for _, f := range [...]struct {
		prefix string
		kind   tokKind
	}{{"title:", tTitle}, {"source:", tSource}, {"site:", tSite}} {
		if strings.HasPrefix(q[i:], f.prefix) {
			return lexField(q, i, f.prefix, f.kind)
		}
	}
	return lexBare(q, i, bareEnd(q, i))
}

func lexField(q string, i int, prefix string, kind tokKind) (lexToken, int, error) {
	j := i + len(prefix)
	if kind == tTitle {
		if j == len(q) || spaceAt(q, j) {
			return lexToken{}, 0, syntaxError(q, j, "expected a word, phrase, prefix or '(' right after title:")
		}
		return lexToken{kind: tTitle, off: i}, j, nil
	}
	if j < len(q) && q[j] == '"' {
		text, next, err := lexQuoted(q, j)
		if err == nil && strings.TrimSpace(text) == "" {
			err = syntaxError(q, j, "expected a name inside the quotes after "+prefix)
		}
		return lexToken{kind: kind, text: text, off: i}, next, err
	}
	end := bareEnd(q, j)
	if end == j {
		return lexToken{}, 0, syntaxError(q, j, "expected a name after "+prefix)
	}
	return lexToken{kind: kind, text: q[j:end], off: i}, end, nil
}

func lexQuoted(q string, i int) (string, int, error) {
	end := strings.IndexByte(q[i+1:], '"')
	if end < 0 {
		return "", 0, syntaxError(q, i, `expected a closing '"' for this quote`)
	}
	return q[i+1 : i+1+end], i + end + 2, nil
}

// lexBare classifies a bare run of characters: an operator, NEAR/n, a
// prefix or a word.
func lexBare(q string, off, end int) (lexToken, int, error) {
	w := q[off:end]
	t := lexToken{text: w, off: off}
	switch {
	case w == "AND":
		t.kind = tAnd
	case w == "OR":
		t.kind = tOr
	case w == "NOT":
		t.kind = tNot
	case w == "NEAR" || strings.HasPrefix(w, "NEAR/"):
		n, err := strconv.Atoi(strings.TrimPrefix(w, "NEAR/"))
		if err != nil || n < 1 || n > maxNear || !strings.HasPrefix(w, "NEAR/") {
			return t, 0, syntaxError(q, off, "expected NEAR/n with n a number from 1 to "+strconv.Itoa(maxNear))
		}
		t.kind, t.n = tNear, n
	case strings.HasSuffix(w, "*"):
		t.kind, t.text = tPrefix, w[:len(w)-1]
	default:
		t.kind = tWord
	}
	return t, end, nil
}

// bareEnd returns where a bare word starting at i ends: at white space, a
// parenthesis or a quote.
func bareEnd(q string, i int) int {
	for i < len(q) && !endsBareAt(q, i) {
		_, size := utf8.DecodeRuneInString(q[i:])
		i += size
	}
	return i
}

func spaceAt(q string, i int) bool {
	r, _ := utf8.DecodeRuneInString(q[i:])
	return unicode.IsSpace(r)
}

func endsBareAt(q string, i int) bool {
	r, _ := utf8.DecodeRuneInString(q[i:])
	return endsBare(r)
}

func endsBare(r rune) bool {
	return unicode.IsSpace(r) || r == '(' || r == ')' || r == '"'
}

// syntaxError builds a SyntaxError at byte offset off of q.
func syntaxError(q string, off int, msg string) *SyntaxError {
	return &SyntaxError{Query: q, Col: utf8.RuneCountInString(q[:off]) + 1, Msg: msg}
}
