//go:build unix

package story

import (
	"syscall"
	"time"
)

// cpuTime returns the process's user and system CPU time. Benchmarks report
// it per operation because wall time on a shared machine also counts the
// time other processes held the CPU.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
