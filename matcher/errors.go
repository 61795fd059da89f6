package matcher

import "fmt"

// SyntaxError reports a query that does not parse: where, in runes from 1,
// and what was expected there.
type SyntaxError struct {
	Query string
	Col   int // 1-based, in runes
	Msg   string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("col %d: %s", e.Col, e.Msg) }
