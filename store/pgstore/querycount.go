package pgstore

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// queryOps are the labels statements are counted under: the table a
// statement names first, "tx" for transaction control (BEGIN, COMMIT,
// SAVEPOINT, ...), "lock" for advisory locks, "other" for the rest. A
// fixed set, so the metric's cardinality is bounded whatever the SQL.
var queryOps = []string{
	"tick_leases", "replicas", "channel_pacing", // coordination of replicas
	"fetch_state", "items", "stories", "story_bands", "outbox", "notes",
	"flood_windows", "digests", "held", "schema_migrations",
	"tx", "lock", "other",
}

var (
	opIndex = func() map[string]int {
		m := make(map[string]int, len(queryOps))
		for i, op := range queryOps {
			m[op] = i
		}
		return m
	}()
	txWords = map[string]bool{"begin": true, "commit": true, "rollback": true, "savepoint": true, "release": true}
)

// classify names the op a statement counts under: the first of its
// identifiers that is a table (or a transaction keyword or advisory lock).
func classify(sql string) int {
	sql = strings.ToLower(sql)
	first := true
	for i := 0; i < len(sql); {
		if !isIdent(sql[i]) {
			i++
			continue
		}
		j := i
		for j < len(sql) && isIdent(sql[j]) {
			j++
		}
		w := sql[i:j]
		i = j
		if first && txWords[w] {
			return opIndex["tx"]
		}
		first = false
		if strings.HasPrefix(w, "pg_advisory") {
			return opIndex["lock"]
		}
		if k, ok := opIndex[w]; ok && k < opIndex["tx"] {
			return k
		}
	}
	return opIndex["other"]
}

func isIdent(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// maxCachedSQL bounds the cache of classified statements; SQL built at run
// time past it is classified on each call (a scan of the text, cheap
// beside its round trip).
const maxCachedSQL = 1000

// queryCounter is a pgx tracer that counts the statements a store sends,
// by op, and the time they take from the caller's side (round trip,
// waiting for locks and reading the rows included). It is the cost of a
// pass in queries (docs/benchmarks.md, "Several replicas on PostgreSQL"):
// two atomic adds, a cached look-up and a time stamp per statement.
type queryCounter struct {
	n, nanos []atomic.Int64 // by op index
	cache    sync.Map       // SQL -> op index
	cached   atomic.Int64
}

func newQueryCounter() *queryCounter {
	return &queryCounter{n: make([]atomic.Int64, len(queryOps)), nanos: make([]atomic.Int64, len(queryOps))}
}

func (q *queryCounter) op(sql string) int {
	if k, ok := q.cache.Load(sql); ok {
		return k.(int)
	}
	k := classify(sql)
	if q.cached.Load() < maxCachedSQL {
		if _, loaded := q.cache.LoadOrStore(sql, k); !loaded {
			q.cached.Add(1)
		}
	}
	return k
}

type queryStart struct {
	op int
	at time.Time
}

type queryStartKey struct{}

func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	k := q.op(data.SQL)
	q.n[k].Add(1)
	return context.WithValue(ctx, queryStartKey{}, queryStart{op: k, at: time.Now()})
}

func (q *queryCounter) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	if s, ok := ctx.Value(queryStartKey{}).(queryStart); ok {
		q.nanos[s.op].Add(int64(time.Since(s.at)))
	}
}

func (q *queryCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

// TraceBatchQuery counts each statement of a batch; its time is from when
// pgx began reading its result.
func (q *queryCounter) TraceBatchQuery(_ context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	k := q.op(data.SQL)
	q.n[k].Add(1)
	if !data.ReadStartTime.IsZero() {
		q.nanos[k].Add(int64(time.Since(data.ReadStartTime)))
	}
}

func (q *queryCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// QueryCount is how many statements of one op a store sent since Open,
// and the time they took.
type QueryCount struct {
	Op    string
	Count int64
	Time  time.Duration
}

// Queries reports the statements this store has sent, by op (every op,
// zeros included, in a fixed order).
func (s *Store) Queries() []QueryCount {
	out := make([]QueryCount, len(queryOps))
	for i, op := range queryOps {
		out[i] = QueryCount{Op: op, Count: s.queries.n[i].Load(), Time: time.Duration(s.queries.nanos[i].Load())}
	}
	return out
}
