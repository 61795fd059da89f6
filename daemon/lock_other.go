//go:build !unix

package daemon

// lockState is a no-op where flock is not available.
func lockState(string) (func(), error) { return func() {}, nil }
