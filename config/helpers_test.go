package config

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// yml joins lines with newlines, so that a test's line numbers can be read
// off its source: the first argument is line 1.
func yml(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

// env returns a LookupEnv over a fixed map.
func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

// parse parses src as t.yaml with the given environment. A test config
// that is one block mapping without sources: or rules: gets a minimal one
// appended (see withWatch); parseRaw does not.
func parse(t *testing.T, src []byte, vars map[string]string) (*Config, error) {
	t.Helper()
	return parseRaw(t, withWatch(src), vars)
}

func parseRaw(t *testing.T, src []byte, vars map[string]string) (*Config, error) {
	t.Helper()
	return Parse("t.yaml", src, Options{Version: "0.1.0", LookupEnv: env(vars)})
}

// withWatch appends a source and a rule to a test config that lacks them,
// so tests of other keys need not repeat them (a config without either is
// refused: TestNothingToWatch). Appending keeps the test's line numbers.
// Anything but one well-formed block mapping is left alone.
func withWatch(src []byte) []byte {
	var docs []yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if !errors.Is(err, io.EOF) {
				return src
			}
			break
		}
		docs = append(docs, doc)
	}
	if len(docs) != 1 || len(docs[0].Content) == 0 {
		return src
	}
	root := docs[0].Content[0]
	if root.Kind != yaml.MappingNode || root.Style&yaml.FlowStyle != 0 {
		return src
	}
	has := map[string]bool{}
	for i := 0; i < len(root.Content); i += 2 {
		has[root.Content[i].Value] = true
	}
	out := append([]byte{}, src...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	if !has["sources"] {
		out = append(out, "sources: [{name: zz-watch, feed: \"https://example.com/zz\"}]\n"...)
	}
	if !has["rules"] {
		out = append(out, "rules: [{name: zz-rule, query: zzwatch, channel: \"#zz\"}]\n"...)
	}
	return out
}

// mustParse fails the test unless src is valid.
func mustParse(t *testing.T, src []byte, vars map[string]string) *Config {
	t.Helper()
	c, err := parse(t, src, vars)
	if err != nil {
		t.Fatalf("Parse: unexpected error:\n%v", err)
	}
	return c
}

// problems returns each problem of a Parse error as its printed line.
func problems(t *testing.T, err error) []string {
	t.Helper()
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %v (%T) is not config.Errors", err, err)
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Error()
	}
	return out
}

// mustNode parses src into its root mapping node.
func mustNode(t *testing.T, src []byte) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

// valueOf returns the value node of key in a mapping node.
func valueOf(t *testing.T, m *yaml.Node, key string) *yaml.Node {
	t.Helper()
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	t.Fatalf("no key %q", key)
	return nil
}
