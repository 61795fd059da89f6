// Package config loads newswatch's YAML configuration into a validated,
// compiled Config.
//
// Decoding is strict and positional: the file is parsed into yaml.Node trees
// so that every problem (an unknown key, a duplicate name, a bad URL, cron
// spec, CSS selector or query) is reported as FILE:LINE:COL, and all of them
// are reported at once. ${VAR} and ${VAR:-default} are expanded per scalar
// after parsing, so positions stay those of the file. Values that came from
// the environment, and the Slack secrets, are never echoed in errors or in
// Summary.
//
// A Config is a plain value: Load it, and pass it down. Nothing here keeps
// global state, so the daemon can Load again on reload and keep the old
// Config when the new one is bad.
package config
