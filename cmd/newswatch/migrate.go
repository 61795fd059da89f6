package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/newswatch/newswatch/daemon"
	"github.com/newswatch/newswatch/redact"
)

// cmdMigrateState copies a SQLite state into PostgreSQL, for a user who
// moves to several replicas. The URL's password is better left to
// PGPASSWORD or ~/.pgpass than the command line, where ps shows it; it is
// never printed.
func cmdMigrateState(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("newswatch migrate-state", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "newswatch.db", "the SQLite state file to copy")
	to := fs.String("to", "", "the PostgreSQL database, postgres://user@host/db?sslmode=...")
	replace := fs.Bool("replace", false, "replace the state a non-empty target already holds")
	if fs.Parse(args) != nil {
		return 2
	}
	if *to == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: newswatch migrate-state -from FILE -to postgres://URL [-replace]")
		return 2
	}
	stats, err := daemon.MigrateState(ctx, *from, *to, *replace)
	if err != nil {
		fmt.Fprintln(stderr, "newswatch migrate-state:", redact.Error(err))
		return 1
	}
	fmt.Fprintf(stdout, "copied %s into %s:\n", *from, redact.URL(*to))
	for _, table := range slices.Sorted(maps.Keys(stats)) {
		fmt.Fprintf(stdout, "  %-14s %d rows\n", table, stats[table])
	}
	return 0
}
