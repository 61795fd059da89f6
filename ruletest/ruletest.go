// Package ruletest implements `newswatch test`: it runs rules, or one ad-hoc
// query, over articles loaded from URLs, files or stdin and prints what
// matched, like grep: exit 0 when something matched, 1 when nothing did, 2
// on an error.
package ruletest

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/newswatch/newswatch/matcher"
	"github.com/newswatch/newswatch/model"
)

// Options are the inputs of one `newswatch test` run.
type Options struct {
	Rules   []matcher.Rule // from the config; ignored when Query is set
	Query   string         // -query
	Rule    string         // -rule NAME
	Targets []string       // URL, file or "-"
	// Load turns a target into articles (the crawler's Load in the binary,
	// a fake in tests).
	Load           func(ctx context.Context, target string) ([]*model.Article, error)
	Stdout, Stderr io.Writer
}

// Exit codes, as grep's.
const (
	exitMatch   = 0
	exitNoMatch = 1
	exitError   = 2
)

// queryRuleName names the rule built from -query in the output.
const queryRuleName = "query"

// Run tests the selected rules against every target and reports matches on
// Stdout and problems on Stderr. A target that fails to load is reported
// and the others are still tested; the exit code is then 2.
func Run(ctx context.Context, o Options) int {
	m, code := build(o)
	if m == nil {
		return code
	}
	if len(o.Targets) == 0 {
		fmt.Fprintln(o.Stderr, "newswatch test: expected at least one TARGET (a URL, a file or -)")
		return exitError
	}
	matched, failed := false, false
	for _, target := range o.Targets {
		if err := ctx.Err(); err != nil {
			fmt.Fprintf(o.Stderr, "newswatch test: %v\n", err)
			return exitError
		}
		n, err := testTarget(ctx, o, m, target)
		if err != nil {
			fmt.Fprintf(o.Stderr, "newswatch test: %s: %v\n", target, err)
			failed = true
		}
		matched = matched || n > 0
	}
	switch {
	case failed:
		return exitError
	case matched:
		return exitMatch
	}
	return exitNoMatch
}

// build compiles the rules the options select. On failure it has printed
// the problem and returns a nil Matcher and the exit code.
func build(o Options) (*matcher.Matcher, int) {
	rules, err := selectRules(o)
	if err != nil {
		fmt.Fprintf(o.Stderr, "newswatch test: %v\n", err)
		return nil, exitError
	}
	m, err := matcher.New(rules)
	if err != nil {
		printError(o.Stderr, err)
		return nil, exitError
	}
	return m, exitMatch
}

func selectRules(o Options) ([]matcher.Rule, error) {
	switch {
	case o.Query != "":
		return []matcher.Rule{{Name: queryRuleName, Query: o.Query}}, nil
	case o.Rule != "":
		for _, r := range o.Rules {
			if r.Name == o.Rule {
				return []matcher.Rule{r}, nil
			}
		}
		return nil, fmt.Errorf("no rule named %q in the config", o.Rule)
	case len(o.Rules) == 0:
		return nil, errors.New("no rules in the config; use -query to test one")
	}
	return o.Rules, nil
}

// testTarget loads one target and prints each article's matches. It
// returns the number of matches.
func testTarget(ctx context.Context, o Options, m *matcher.Matcher, target string) (int, error) {
	if o.Load == nil {
		return 0, errors.New("no loader configured")
	}
	articles, err := o.Load(ctx, target)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range articles {
		for _, mt := range m.Match(a) {
			printMatch(o.Stdout, a, mt)
			n++
		}
	}
	return n, nil
}
