package pgtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newswatch/newswatch/redact"
)

// A Cluster is a PostgreSQL server of one test's own, for tests that stop
// and start the server: the machine's server at 127.0.0.1:5432 is shared
// by every package's tests, which `go test ./...` runs in parallel, and
// must stay up. NewCluster runs initdb into a temporary directory and
// starts postgres on a free loopback port (trust auth, fsync off, its
// socket in that directory); the test's cleanup stops it and removes the
// directory. As root, initdb and postgres (which refuse root) run as the
// postgres OS user.
type Cluster struct {
	// URL is the cluster's postgres database as its superuser, postgres.
	// It stays the same across Stop and Start.
	URL string

	t    testing.TB
	bin  string // PostgreSQL's bindir
	dir  string // owned by the server's user: data/, postgres.log, the socket
	port int
	as   *osUser // nil: run as ourselves

	mu     sync.Mutex
	proc   *exec.Cmd
	exited chan struct{} // closed when proc has exited
}

// A StopMode is how Stop shuts the server down: the postmaster's signals,
// which pg_ctl stop -m sends.
type StopMode syscall.Signal

const (
	// Fast rolls back open transactions, disconnects every client and
	// writes a checkpoint (pg_ctl's default).
	Fast = StopMode(syscall.SIGINT)
	// Immediate is crash-like: every server process quits at once,
	// connections drop mid-transaction, and the next start recovers from
	// the WAL.
	Immediate = StopMode(syscall.SIGQUIT)
)

// clusterTimeout bounds initdb, a start and a stop.
const clusterTimeout = 30 * time.Second

// osUser is the OS account the server runs under.
type osUser struct{ uid, gid uint32 }

// NewCluster creates and starts a cluster for t; it is stopped and removed
// when t ends. Without PostgreSQL's server binaries the test fails in CI
// and is skipped elsewhere.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bin, err := serverBinDir()
	if err != nil {
		notAvailable(t, InCI(), "pgtest: cannot run a cluster of the test's own: %v", err)
		return nil
	}
	as, err := serverUser()
	if err != nil {
		notAvailable(t, InCI(), "pgtest: cannot run a cluster of the test's own: %v", err)
		return nil
	}
	dir, err := os.MkdirTemp("", "nw-pgcluster-")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	c := &Cluster{t: t, bin: bin, dir: dir, as: as}
	t.Cleanup(c.remove)
	if as != nil {
		if err := os.Chown(dir, int(as.uid), int(as.gid)); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
	}
	c.initdb()
	c.port = freePort(t)
	c.configure()
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	c.Start()
	return c
}

// serverBinDir is the directory of initdb and postgres: pg_config's
// bindir, else the newest /usr/lib/postgresql/<version>/bin (Debian's
// layout, where pg_config may come from libpq-dev alone).
func serverBinDir() (string, error) {
	var dirs []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(found, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, d := range append(dirs, found...) {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("no initdb and postgres in pg_config --bindir or /usr/lib/postgresql/*/bin (install Debian's postgresql package)")
}

func versionOf(bindir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(bindir)))
	return v
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir()
}

// serverUser is the postgres OS user when we run as root (initdb and
// postgres refuse root), nil otherwise.
func serverUser() (*osUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and no postgres OS user to run the server as: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("postgres OS user: %w", err)
	}
	return &osUser{uid: uint32(uid), gid: uint32(gid)}, nil
}

func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.SysProcAttr = serverProcAttr(c.as)
	return cmd
}

func (c *Cluster) initdb() {
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	cmd := c.command(ctx, "initdb", "-D", c.data(), "-U", "postgres", "--auth=trust", "--no-sync",
		"--encoding=UTF8", "--locale=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
}

// configure appends the test settings to postgresql.conf: loopback only,
// the socket in the cluster's directory (not /var/run/postgresql, the
// machine server's), and no fsync or full-page writes (a test's data need
// not survive a power cut; a process crash keeps it, the WAL being in the
// page cache).
func (c *Cluster) configure() {
	conf := fmt.Sprintf("\n# pgtest\nlisten_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n"+
		"fsync = off\nfull_page_writes = off\n", c.port, c.dir)
	f, err := os.OpenFile(filepath.Join(c.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		c.t.Fatalf("pgtest: %v", err)
	}
	defer f.Close()
	if _, err := f.WriteString(conf); err != nil {
		c.t.Fatalf("pgtest: %v", err)
	}
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// freePort is a loopback port nobody listens on, below Linux's ephemeral
// range (32768 up): a client connection cannot take it while the server
// is down between a Stop and a Start.
func freePort(t testing.TB) int {
	for range 100 {
		port := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			ln.Close()
			return port
		}
	}
	t.Fatal("pgtest: no free loopback port in 20000-31999")
	return 0
}

// Start starts the server and waits until it accepts connections (after
// an Immediate stop, once crash recovery has run).
func (c *Cluster) Start() {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc != nil {
		c.t.Fatal("pgtest: Start: the cluster is running")
	}
	log, err := os.OpenFile(c.logPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		c.t.Fatalf("pgtest: %v", err)
	}
	defer log.Close() // the server has its own copy
	// Not bound to a context: the server outlives this call until Stop.
	cmd := c.command(context.Background(), "postgres", "-D", c.data())
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("pgtest: start postgres: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	c.proc, c.exited = cmd, exited
	if err := c.waitReady(exited); err != nil {
		c.t.Fatalf("pgtest: postgres did not start: %v\n%s", err, c.logTail())
	}
}

// waitReady polls until a connection succeeds, the server exits or
// clusterTimeout passes.
func (c *Cluster) waitReady(exited <-chan struct{}) error {
	deadline := time.Now().Add(clusterTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, c.URL)
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		select {
		case <-exited:
			return errors.New("the server exited")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: %v", clusterTimeout, redact.Error(err))
		}
	}
}

// Stop shuts the server down in mode and waits until it has exited.
func (c *Cluster) Stop(mode StopMode) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil {
		c.t.Fatal("pgtest: Stop: the cluster is not running")
	}
	if err := c.stop(mode); err != nil {
		c.t.Fatalf("pgtest: stop: %v\n%s", err, c.logTail())
	}
}

// stop signals the postmaster and waits for it, killing it after
// clusterTimeout; c.mu is held.
func (c *Cluster) stop(mode StopMode) error {
	proc, exited := c.proc, c.exited
	c.proc, c.exited = nil, nil
	proc.Process.Signal(syscall.Signal(mode))
	select {
	case <-exited:
		return nil
	case <-time.After(clusterTimeout):
		proc.Process.Kill()
		<-exited
		return fmt.Errorf("postgres did not exit within %s of signal %v; killed", clusterTimeout, syscall.Signal(mode))
	}
}

// Restart stops the server in mode and starts it again.
func (c *Cluster) Restart(mode StopMode) {
	c.t.Helper()
	c.Stop(mode)
	c.Start()
}

// remove stops a running server at once and removes its directory.
func (c *Cluster) remove() {
	c.mu.Lock()
	if c.proc != nil {
		if err := c.stop(Immediate); err != nil {
			c.t.Errorf("pgtest: %v", err)
		}
	}
	c.mu.Unlock()
	if err := os.RemoveAll(c.dir); err != nil {
		c.t.Errorf("pgtest: remove the cluster: %v", err)
	}
}

func (c *Cluster) logPath() string { return filepath.Join(c.dir, "postgres.log") }

// logTail is the end of the server's log, for a failure's message.
func (c *Cluster) logTail() string {
	b, _ := os.ReadFile(c.logPath())
	return string(b[max(0, len(b)-4096):])
}
