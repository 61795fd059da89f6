package config

import (
	"errors"
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

// parse parses src as t.yaml with the given environment.
func parse(t *testing.T, src []byte, vars map[string]string) (*Config, error) {
	t.Helper()
	return Parse("t.yaml", src, Options{Version: "0.1.0", LookupEnv: env(vars)})
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
