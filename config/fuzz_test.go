package config

import (
	"errors"
	"os"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, and that it returns
// either a Config or positioned Errors, never both or neither.
func FuzzParse(f *testing.F) {
	if example, err := os.ReadFile("../newswatch.example.yaml"); err == nil {
		f.Add(example)
	}
	f.Add(full)
	f.Add(yml("rules:", "  - name: r", "    query: |", "      a AND", "      (b OR )"))
	f.Add(yml("rules:", "  - name: r", `    query: "\"x\" NEAR/ y"`))
	f.Add(yml("state: ${A:-x}${B}", "sources: [{name: a, page: 'http://a/', links: 'a['}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yaml", data, Options{LookupEnv: env(map[string]string{"A": "1", "B": "b"})})
		var es Errors
		switch {
		case err == nil && c == nil:
			t.Fatal("nil Config and nil error")
		case err != nil && c != nil:
			t.Fatal("Config and error")
		case err != nil && (!errors.As(err, &es) || len(es) == 0):
			t.Fatalf("error %v is not a non-empty Errors", err)
		}
		for _, e := range es {
			if e.Line < 1 || e.Col < 1 {
				t.Fatalf("unpositioned error %v", e)
			}
		}
	})
}
