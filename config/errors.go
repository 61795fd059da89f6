package config

import (
	"bytes"
	"cmp"
	"errors"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Error is one problem in a config file, at a 1-based line and column
// (columns count characters, as editors do).
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	return e.File + ":" + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Col) + ": " + e.Msg
}

// Errors is every problem found in one config file, in file order.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find the individual *Error values.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sortErrors puts problems in file order; cross-checks (rule sources, the
// Slack channel) are found after the fact but belong where they point.
func sortErrors(es Errors) {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 parse error into an *Error. yaml.v3 gives no
// column, and its line is often that of the enclosing block (0-based, even)
// rather than of the problem, so we find the line ourselves: the first line
// at which the file, cut there, fails with the same message. Raw-byte
// problems (bad UTF-8, control characters) come without a line; for those
// we find the byte.
func syntaxError(file string, data []byte, err error) *Error {
	line, msg := yamlMsg(err)
	if line == 0 {
		if l, c, ok := badByte(data); ok {
			return &Error{File: file, Line: l, Col: c, Msg: "invalid YAML: " + msg}
		}
	}
	if l := firstFailingLine(data, msg); l > 0 {
		line = l
	}
	line = max(line, 1)
	return &Error{File: file, Line: line, Col: firstNonBlank(data, line), Msg: "invalid YAML: " + msg}
}

// yamlMsg splits a yaml.v3 error into its line (0 if none) and message.
func yamlMsg(err error) (line int, msg string) {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		return line, m[2]
	}
	return 0, strings.TrimPrefix(err.Error(), "yaml: ")
}

// firstFailingLine returns the first line at which the prefix of data ending
// there fails to parse with message msg; 0 if none does (or the file is too
// long to try: this is quadratic).
func firstFailingLine(data []byte, msg string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > 1000 {
		return 0
	}
	end := 0
	for i, l := range lines {
		end += len(l)
		if err := parseAll(data[:end]); err != nil {
			if _, m := yamlMsg(err); m == msg {
				return i + 1
			}
		}
	}
	return 0
}

// parseAll parses every document in data, for the error only.
func parseAll(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// firstNonBlank is the column of the first non-blank character of a line.
func firstNonBlank(data []byte, line int) int {
	lines := strings.Split(string(data), "\n")
	if line > len(lines) {
		return 1
	}
	l := lines[line-1]
	return utf8.RuneCountInString(l) - utf8.RuneCountInString(strings.TrimLeft(l, " \t")) + 1
}

// badByte finds the first invalid UTF-8 sequence or disallowed control
// character, the usual cause of a yaml.v3 error without a line.
func badByte(data []byte) (line, col int, ok bool) {
	line, col = 1, 1
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		if r == utf8.RuneError && n <= 1 || r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f {
			return line, col, true
		}
		data = data[n:]
		if r == '\n' {
			line, col = line+1, 1
			continue
		}
		col++
	}
	return 0, 0, false
}
