package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/newswatch/newswatch/matcher"
	"github.com/newswatch/newswatch/model"
	"gopkg.in/yaml.v3"
)

// Defaults, as documented in the SPEC.
const (
	DefaultState       = "newswatch.db"
	DefaultListen      = "127.0.0.1:9464"
	DefaultSchedule    = "*/5 * * * *"
	DefaultMaxAge      = 48 * time.Hour
	DefaultStoryWindow = 72 * time.Hour
	DefaultRetention   = 720 * time.Hour
	DefaultMaxArticles = 30
	// DefaultGiveUpAfter is how long an alert may stay undelivered through
	// transient errors and rate limits before it fails (slack.give_up_after).
	DefaultGiveUpAfter = 24 * time.Hour
	projectURL         = "https://github.com/newswatch/newswatch"
)

// Config is a loaded, validated and compiled config file.
type Config struct {
	Path string
	// State is a SQLite file path, or a postgres:// URL.
	State string
	// Listen is the HTTP address for /healthz, /readyz and /metrics; ""
	// (written explicitly in the file) disables the listener.
	Listen string
	// Schedule is the default cron spec for sources; every Source's
	// Schedule is already filled with it when the source has none.
	Schedule                       string
	MaxAge, StoryWindow, Retention time.Duration
	UserAgent                      string
	// Hosts are per-host pacing overrides, in file order.
	Hosts   []Host
	Slack   Slack
	Sources []model.Source
	Rules   []Rule
	// Matcher is compiled from Rules.
	Matcher *matcher.Matcher

	// Flood caps single alerts per channel; rules with a Digest are
	// collected instead (see Rule.Digest).
	Flood Flood

	// webhookFolded records that rules named channels of their own which
	// webhook mode does not use.
	webhookFolded bool
}

// Slack holds the Slack settings. Token and WebhookURL are secrets.
type Slack struct {
	Token, WebhookURL, Channel string
	// APIURL overrides the Web API base URL; it always ends in "/", as
	// slack.OptionAPIURL expects.
	APIURL string
	// GiveUpAfter: an alert undelivered this long after it was queued
	// fails at its next transient error; only permanent errors fail sooner.
	// Zero means DefaultGiveUpAfter; read it with GiveUp.
	GiveUpAfter time.Duration
}

// GiveUp is slack.give_up_after, or its default.
func (s Slack) GiveUp() time.Duration {
	if s.GiveUpAfter == 0 {
		return DefaultGiveUpAfter
	}
	return s.GiveUpAfter
}

// Enabled reports whether alerts go to Slack rather than stdout.
func (s Slack) Enabled() bool { return s.Token != "" || s.WebhookURL != "" }

// Mode is "token" (Web API: threads, per-rule channels), "webhook" (one
// channel, no threads) or "stdout". A token wins when both secrets are set.
func (s Slack) Mode() string {
	switch {
	case s.Token != "":
		return "token"
	case s.WebhookURL != "":
		return "webhook"
	}
	return "stdout"
}

// Rule is one watch rule.
type Rule struct {
	Name, Query string
	// Channel is where its alerts go; Load fills in slack.channel when the
	// rule names none, and always in webhook mode, where a webhook posts to
	// one channel and distinct channels would only post a story twice.
	Channel string
	// Sources restricts the rule to these sources; nil means all.
	Sources []string
	// Digest is the rule's digest schedule (a cron spec or "@every 1h"):
	// its matches are collected and posted as one digest at each tick
	// instead of one by one. "" means immediate alerts.
	Digest string
}

// Options are what Load needs from outside the file.
type Options struct {
	// Version goes into the default User-Agent.
	Version string
	// LookupEnv resolves ${VAR}; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// Load reads and parses the config file at path.
func Load(path string, o Options) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data, o)
}

// Parse parses a config file's contents; path is used in messages. On any
// problem it returns a nil Config and an Errors holding every problem found.
func Parse(path string, data []byte, o Options) (*Config, error) {
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	d := &decoder{file: path, lookup: o.LookupEnv, lines: splitLines(data), ruleInfo: map[string]ruleInfo{}}
	c := defaults(path, o.Version)
	if root := d.document(data); root != nil {
		d.config(root, c)
	} else if len(d.errs) == 0 {
		// An editor truncating the file before writing it, or a failed
		// deploy, must not be applied as "watch nothing".
		d.errorf(1, 1, "the config file is empty: it needs sources: (at least one source) and rules: (at least one rule)")
	}
	if len(d.errs) == 0 {
		d.compile(c)
	}
	if len(d.errs) > 0 {
		sortErrors(d.errs)
		return nil, d.errs
	}
	return c, nil
}

func defaults(path, version string) *Config {
	if version == "" {
		version = "dev"
	}
	return &Config{
		Path:        path,
		State:       DefaultState,
		Listen:      DefaultListen,
		Schedule:    DefaultSchedule,
		MaxAge:      DefaultMaxAge,
		StoryWindow: DefaultStoryWindow,
		Retention:   DefaultRetention,
		UserAgent:   "newswatch/" + version + " (+" + projectURL + ")",
		Flood:       Flood{Burst: DefaultFloodBurst, Window: DefaultFloodWindow},
	}
}

// document parses data into its single YAML document's root node; nil for
// an empty file (nothing but comments and white space) or on a syntax
// error (recorded).
func (d *decoder) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			d.errs = append(d.errs, syntaxError(d.file, data, err))
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		d.errorf(next.Line, next.Column, "a second YAML document; the config is one document (remove the ---)")
	case !errors.Is(err, io.EOF):
		d.errs = append(d.errs, syntaxError(d.file, data, err))
	}
	if len(doc.Content) == 0 {
		return nil
	}
	return doc.Content[0]
}

func splitLines(data []byte) []string {
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// MatcherRules returns the rules in the form matcher.New takes.
func (c *Config) MatcherRules() []matcher.Rule {
	out := make([]matcher.Rule, len(c.Rules))
	for i, r := range c.Rules {
		out[i] = matcher.Rule{Name: r.Name, Query: r.Query, Sources: r.Sources}
	}
	return out
}

// ChannelFor returns the channel of the named rule; slack.channel for a rule
// it does not know.
func (c *Config) ChannelFor(rule string) string {
	for _, r := range c.Rules {
		if r.Name == rule {
			return r.Channel
		}
	}
	return c.Slack.Channel
}
