package pgtest

import "syscall"

// serverProcAttr runs initdb and postgres as as (nil: as ourselves), and
// has the kernel send the postmaster SIGQUIT (an immediate shutdown) if
// the test process dies without its cleanup, e.g. at a -timeout panic: no
// orphaned server is left running.
func serverProcAttr(as *osUser) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGQUIT}
	if as != nil {
		attr.Credential = &syscall.Credential{Uid: as.uid, Gid: as.gid}
	}
	return attr
}
