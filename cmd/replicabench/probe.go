package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ,
// 100 on Linux).
const clockTick = 10 * time.Millisecond

// cpuOf is the CPU time (user + system) process pid has used, 0 once it
// is gone.
func cpuOf(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, field 2, is in parentheses and may hold spaces:
	// count fields after its closing one. utime and stime are fields 14
	// and 15, so the 12th and 13th after it.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * clockTick
}

// peakRSS is VmHWM of pid, in bytes.
func peakRSS(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// postgresPIDs lists every process named postgres: the server's whole
// CPU, background writers and autovacuum included.
func postgresPIDs() []int {
	var out []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		if b, err := os.ReadFile(d + "/comm"); err == nil && strings.TrimSpace(string(b)) == "postgres" {
			pid, _ := strconv.Atoi(filepath.Base(d))
			out = append(out, pid)
		}
	}
	return out
}

// cpuMeter sums the CPU that a changing set of processes uses from its
// start: a process seen first after the start counts from zero (it was
// born during the window), one that ends between two looks loses what it
// used since the last look (sample often).
type cpuMeter struct {
	base, last map[int]time.Duration
}

func newCPUMeter(pids []int) *cpuMeter {
	m := &cpuMeter{base: map[int]time.Duration{}, last: map[int]time.Duration{}}
	for _, p := range pids {
		c := cpuOf(p)
		m.base[p], m.last[p] = c, c
	}
	return m
}

func (m *cpuMeter) sample(pids []int) {
	for _, p := range pids {
		if c := cpuOf(p); c > 0 {
			m.last[p] = c
		}
	}
}

func (m *cpuMeter) used() time.Duration {
	var sum time.Duration
	for p, c := range m.last {
		sum += c - m.base[p] // base is 0 for a process born in the window
	}
	return sum
}

// queryStats is one replica's newswatch_db_queries_total and
// newswatch_db_query_seconds_total, by op.
type queryStats struct {
	count   map[string]float64
	seconds map[string]float64
}

// scrape reads a replica's /metrics, keeping only the statement counters
// (the page has a dozen series per source: megabytes at 10,000 sources,
// so it is read line by line).
func scrape(ctx context.Context, addr string) (queryStats, error) {
	q := queryStats{count: map[string]float64{}, seconds: map[string]float64{}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return q, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return q, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		for name, into := range map[string]map[string]float64{
			`newswatch_db_queries_total{op="`:       q.count,
			`newswatch_db_query_seconds_total{op="`: q.seconds,
		} {
			rest, ok := strings.CutPrefix(line, name)
			if !ok {
				continue
			}
			op, val, ok := strings.Cut(rest, `"} `)
			if !ok {
				continue
			}
			v, err := strconv.ParseFloat(val, 64)
			if err == nil {
				into[op] = v
			}
		}
	}
	if err := sc.Err(); err != nil {
		return q, err
	}
	if len(q.count) == 0 {
		return q, fmt.Errorf("%s/metrics has no newswatch_db_queries_total", addr)
	}
	return q, nil
}

// sub is q - p, op by op.
func (q queryStats) sub(p queryStats) queryStats {
	d := queryStats{count: map[string]float64{}, seconds: map[string]float64{}}
	for op, v := range q.count {
		d.count[op] = v - p.count[op]
	}
	for op, v := range q.seconds {
		d.seconds[op] = v - p.seconds[op]
	}
	return d
}

// add is q + p, op by op.
func (q queryStats) add(p queryStats) queryStats {
	d := queryStats{count: map[string]float64{}, seconds: map[string]float64{}}
	for _, m := range []queryStats{q, p} {
		for op, v := range m.count {
			d.count[op] += v
		}
		for op, v := range m.seconds {
			d.seconds[op] += v
		}
	}
	return d
}

// coordination are the ops that coordinate replicas: tick claims and
// releases, heartbeats, Slack pacing.
var coordination = []string{"tick_leases", "replicas", "channel_pacing"}

func (q queryStats) total() (n, secs float64) {
	for op, v := range q.count {
		n += v
		secs += q.seconds[op]
	}
	return n, secs
}

func (q queryStats) of(ops []string) (n, secs float64) {
	for _, op := range ops {
		n += q.count[op]
		secs += q.seconds[op]
	}
	return n, secs
}
