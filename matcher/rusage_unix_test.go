//go:build unix

package matcher

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time. Benchmarks report
// articles per CPU-second next to articles per wall-second, because the
// shared build machine is often busy and wall time then includes waiting.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
