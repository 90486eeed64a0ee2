// Package procmem reads a Linux process's resident memory from
// /proc/<pid>/status: what cmd/jwtload samples from a server under load and
// what shared/tooling/rie reports as a function's peak RSS.
package procmem

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ErrNoMemory means the status has no memory lines: a kernel thread, or a
// process that has exited and not yet been reaped.
var ErrNoMemory = errors.New("procmem: no VmRSS/VmHWM in the process status")

// Usage is a process's resident memory, in bytes.
type Usage struct {
	// RSS is resident now (VmRSS).
	RSS uint64
	// Peak is the most it has ever been resident (VmHWM); it only grows.
	Peak uint64
}

// Read reads the resident memory of process pid.
func Read(pid int) (Usage, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return Usage{}, err
	}
	var u Usage
	var seen int
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return Usage{}, fmt.Errorf("procmem: pid %d %s: %w", pid, k, err)
		}
		if k == "VmRSS" {
			u.RSS = kb << 10
		} else {
			u.Peak = kb << 10
		}
		seen++
	}
	if seen < 2 {
		return Usage{}, fmt.Errorf("pid %d: %w", pid, ErrNoMemory)
	}
	return u, nil
}
