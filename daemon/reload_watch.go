package daemon

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// reloadDebounce lets an editor finish writing (truncate, write, rename)
// before the file is read.
const reloadDebounce = 250 * time.Millisecond

// watchConfig tells Run's loop (on changed) when the config file's content
// changes; it never reloads itself, so reloads stay serialised. It watches
// the directory, not the file: editors and config managers replace the file
// (rename over it), which would orphan a watch on the old inode, and a
// Kubernetes ConfigMap volume swaps a "..data" symlink without any event
// naming the file. So any event in the directory is a hint, and the file's
// content (read through its symlinks) decides.
func (d *Daemon) watchConfig(ctx context.Context, path string, changed chan<- struct{}) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		d.log.Error("config watch unavailable; SIGHUP still reloads", "err", err)
		return
	}
	defer w.Close()
	abs, _ := filepath.Abs(path)
	if err := w.Add(filepath.Dir(abs)); err != nil {
		d.log.Error("config watch unavailable; SIGHUP still reloads", "err", err)
		return
	}
	last := fileSum(abs)
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-w.Events:
			if !ok {
				return
			}
			timer = time.After(reloadDebounce)
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			d.log.Warn("config watch", "err", err)
		case <-timer:
			timer = nil
			if sum := fileSum(abs); sum != last {
				last = sum
				select {
				case changed <- struct{}{}:
				default: // a reload is already pending; it reads the file then
				}
			}
		}
	}
}

// fileSum is a digest of the file's content; a missing file has its own.
func fileSum(path string) [32]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		return sha256.Sum256([]byte("\x00unreadable:" + err.Error()))
	}
	return sha256.Sum256(b)
}
