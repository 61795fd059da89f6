package daemon

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/newswatch/newswatch/config"
	"github.com/newswatch/newswatch/redact"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/pgstore"
	"github.com/newswatch/newswatch/termtext"
)

// Status prints each source's health and the outbox: what `newswatch
// status` shows. It opens the store read-mostly and leaves it as it was.
func Status(ctx context.Context, w io.Writer, cfg *config.Config) error {
	st, pg, err := openState(ctx, cfg, time.Now)
	if err != nil {
		return err
	}
	defer st.Close()
	if pg != nil {
		if err := printReplicas(ctx, w, pg); err != nil {
			return err
		}
	}
	states, err := st.FetchStates(ctx)
	if err != nil {
		return fmt.Errorf("read fetch state: %w", err)
	}
	byName := map[string]store.FetchState{}
	for _, fs := range states {
		byName[fs.Source] = fs
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tLAST FETCH\tRESULT\tFAILURES\tERROR")
	for _, src := range cfg.Sources {
		fs, ok := byName[src.Name]
		if !ok {
			fmt.Fprintf(tw, "%s\tnever\t-\t0\t\n", src.Name)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", src.Name, fs.LastFetch.Local().Format(time.DateTime),
			fs.LastResult, fs.ConsecutiveFailures, termtext.Cut(redact.Text(fs.LastError, src.SecretParams...), 100))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	counts, err := st.AlertCounts(ctx)
	if err != nil {
		return fmt.Errorf("read outbox: %w", err)
	}
	fmt.Fprintf(w, "\nalerts: %d pending, %d sent, %d failed\n", counts.Pending, counts.Sent, counts.Failed)
	failed, err := st.FailedAlerts(ctx, 20)
	if err != nil {
		return fmt.Errorf("read failed alerts: %w", err)
	}
	for _, f := range failed {
		fmt.Fprintf(w, "  failed #%d %s %s %q: %s\n", f.ID, f.At.Local().Format(time.DateTime), f.Channel,
			termtext.Cut(f.Title, 80), termtext.Cut(f.Error, 200))
	}
	return nil
}

// printReplicas lists the replicas sharing the database, alive or not.
func printReplicas(ctx context.Context, w io.Writer, pg *pgstore.Store) error {
	rs, err := pg.Replicas(ctx)
	if err != nil {
		return fmt.Errorf("read replicas: %w", err)
	}
	agree := "agree"
	if !pgstore.ConfigsAgree(rs) {
		agree = "DIFFER"
	}
	fmt.Fprintf(w, "replicas: %d (configs %s)\n", len(rs), agree)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPLICA\tHOST\tPID\tVERSION\tCONFIG\tSTARTED\tLAST SEEN\tALIVE")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%v\n", r.ID, termtext.Cut(r.Host, 40), r.PID,
			termtext.Cut(r.Version, 30), r.ConfigHash, r.Started.Local().Format(time.DateTime),
			r.LastSeen.Local().Format(time.DateTime), r.Alive)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return nil
}
