package daemon

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/store/pgstore"
)

// metrics are the daemon's Prometheus series. Alert counts are read from the
// store at scrape time, so they are right even after a restart.
type metrics struct {
	reg               *prometheus.Registry
	fetches           *prometheus.CounterVec
	fetchDuration     *prometheus.HistogramVec
	sourceFailures    *prometheus.GaugeVec
	newItems          *prometheus.CounterVec
	matches           *prometheus.CounterVec
	reloadSuccess     prometheus.Gauge
	reloadTimestamp   prometheus.Gauge
	schedulerRunning  prometheus.Gauge
	alertsEnqueued    *prometheus.CounterVec
	delivered         *prometheus.CounterVec
	held              *prometheus.CounterVec
	suppressedMatches *prometheus.CounterVec
	alertsAdopted     prometheus.Counter
	notices           *prometheus.GaugeVec
}

func newMetrics(counts func(context.Context) (pending, sent, failed int, err error)) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newswatch_fetches_total", Help: "Source fetches by source and result (ok, not_modified, error, skipped, other_replica: the tick went to another replica).",
		}, []string{"source", "result"}),
		fetchDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "newswatch_fetch_duration_seconds", Help: "Time to fetch and parse a source.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 10),
		}, []string{"source"}),
		sourceFailures: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "newswatch_source_consecutive_failures", Help: "Consecutive failed fetches of a source.",
		}, []string{"source"}),
		newItems: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newswatch_new_items_total", Help: "Items seen for the first time, by source.",
		}, []string{"source"}),
		matches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newswatch_matches_total", Help: "Rule matches on new or changed items, by rule.",
		}, []string{"rule"}),
		suppressedMatches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newswatch_suppressed_matches_total", Help: "Matches recorded without an alert, by reason (max_age, first_fetch_undated).",
		}, []string{"reason"}),
		alertsEnqueued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newswatch_alerts_enqueued_total", Help: "Alerts written to the outbox, by kind (new, follow_up, digest).",
		}, []string{"kind"}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newswatch_alerts_delivered_total",
			Help: "Articles delivered, by how they went out: single (an alert of its own), reply (in its story's thread), digest (a line of a digest).",
		}, []string{"delivery"}),
		held: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newswatch_articles_held_total", Help: "Articles held for a digest, by digest (flood, or rule for a rule's schedule).",
		}, []string{"digest"}),
		reloadSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "newswatch_config_last_reload_successful", Help: "1 if the last config reload succeeded.",
		}),
		reloadTimestamp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "newswatch_config_last_reload_success_timestamp_seconds", Help: "Time of the last successful config load.",
		}),
		schedulerRunning: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "newswatch_scheduler_running", Help: "1 while the source scheduler runs.",
		}),
		alertsAdopted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "newswatch_alerts_adopted_total",
			Help: "Alerts whose interrupted post was found in Slack's history and marked sent instead of posted again.",
		}),
		notices: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "newswatch_delivery_notice", Help: "1 while a delivery condition holds (no_history: exactly-once lookups unavailable).",
		}, []string{"notice"}),
	}
	m.reg.MustRegister(m.fetches, m.fetchDuration, m.sourceFailures, m.newItems, m.matches,
		m.suppressedMatches, m.alertsEnqueued, m.delivered, m.held, m.reloadSuccess, m.reloadTimestamp, m.schedulerRunning,
		m.alertsAdopted, m.notices,
		&alertCollector{counts: counts},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, l := range deliveredLabels {
		m.delivered.WithLabelValues(l)
	}
	m.reloadSuccess.Set(1)
	m.reloadTimestamp.Set(float64(time.Now().Unix()))
	return m
}

// deliveredLabels are the delivery label's values, present from the start.
var deliveredLabels = []string{"single", "reply", "digest"}

// countDelivered counts a delivered alert's articles by how they went out.
func (m *metrics) countDelivered(a model.Alert) {
	switch {
	case a.Digest != nil:
		n := 0
		for _, e := range a.Digest.Entries {
			n += 1 + len(e.Others)
		}
		m.delivered.WithLabelValues("digest").Add(float64(n))
	case a.Kind == model.AlertFollowUp:
		m.delivered.WithLabelValues("reply").Inc()
	default:
		m.delivered.WithLabelValues("single").Inc()
	}
}

// alertCollector reports the outbox by state straight from the store.
type alertCollector struct {
	counts func(context.Context) (pending, sent, failed int, err error)
}

var alertsDesc = prometheus.NewDesc("newswatch_alerts", "Alerts in the outbox by state.", []string{"state"}, nil)

func (c *alertCollector) Describe(ch chan<- *prometheus.Desc) { ch <- alertsDesc }

func (c *alertCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, s, f, err := c.counts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(alertsDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(alertsDesc, prometheus.GaugeValue, float64(p), "pending")
	ch <- prometheus.MustNewConstMetric(alertsDesc, prometheus.GaugeValue, float64(s), "sent")
	ch <- prometheus.MustNewConstMetric(alertsDesc, prometheus.GaugeValue, float64(f), "failed")
}

// replicaCollector reports, with PostgreSQL, how many replicas are alive
// and whether their configs agree, read from the heartbeat rows at scrape
// time, and the statements this replica has sent.
type replicaCollector struct{ pg *pgstore.Store }

var (
	replicasAliveDesc = prometheus.NewDesc("newswatch_replicas_alive", "Replicas sharing the database whose heartbeat is recent.", nil, nil)
	configsAgreeDesc  = prometheus.NewDesc("newswatch_replica_configs_agree", "1 if every alive replica runs the same config file.", nil, nil)
	dbQueriesDesc     = prometheus.NewDesc("newswatch_db_queries_total",
		"Statements sent to PostgreSQL by this replica, by op: the table a statement names first (tick_leases, replicas and channel_pacing are the replicas' coordination), tx for BEGIN/COMMIT/SAVEPOINT, lock for advisory locks.", []string{"op"}, nil)
	dbQuerySecondsDesc = prometheus.NewDesc("newswatch_db_query_seconds_total",
		"Time this replica spent in PostgreSQL statements, by op, from its side (round trips and lock waits included).", []string{"op"}, nil)
)

func (c *replicaCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- replicasAliveDesc
	ch <- configsAgreeDesc
	ch <- dbQueriesDesc
	ch <- dbQuerySecondsDesc
}

func (c *replicaCollector) Collect(ch chan<- prometheus.Metric) {
	for _, q := range c.pg.Queries() {
		ch <- prometheus.MustNewConstMetric(dbQueriesDesc, prometheus.CounterValue, float64(q.Count), q.Op)
		ch <- prometheus.MustNewConstMetric(dbQuerySecondsDesc, prometheus.CounterValue, q.Time.Seconds(), q.Op)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rs, err := c.pg.Replicas(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(replicasAliveDesc, err)
		return
	}
	alive := 0
	for _, r := range rs {
		if r.Alive {
			alive++
		}
	}
	agree := 0.0
	if pgstore.ConfigsAgree(rs) {
		agree = 1
	}
	ch <- prometheus.MustNewConstMetric(replicasAliveDesc, prometheus.GaugeValue, float64(alive))
	ch <- prometheus.MustNewConstMetric(configsAgreeDesc, prometheus.GaugeValue, agree)
}
