//go:build !linux

package pgtest

import "syscall"

// serverProcAttr: only Linux runs the server as another user here (as
// root elsewhere initdb refuses to run, and says why), and without a
// parent-death signal.
func serverProcAttr(*osUser) *syscall.SysProcAttr { return nil }
