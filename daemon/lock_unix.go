//go:build unix

package daemon

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockState makes sure one newswatch at a time works on a SQLite state
// file: two would both deliver the outbox (duplicate alerts) and miss each
// other's stories. The lock is a flock on STATE.lock, released by the
// kernel when the process ends, however it ends.
func lockState(path string) (release func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
			return nil, fmt.Errorf("lock state: %w: newswatch keeps %s.lock, -wal and -shm beside the state file and cannot write in %s (read-only file system or directory?)",
				err, filepath.Base(path), filepath.Dir(path))
		}
		return nil, fmt.Errorf("lock state: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path + ".lock")
		f.Close()
		if pid := strings.TrimSpace(string(holder)); pid != "" {
			return nil, fmt.Errorf("state %s is in use by another newswatch (pid %s)", path, pid)
		}
		return nil, fmt.Errorf("state %s is in use by another newswatch", path)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() { f.Close() }, nil
}
