package rie

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// listening reports whether process pid itself holds a listening TCP socket
// on each of addrs. A dial is not enough: a port probed free can be bound by
// another process before the emulator binds it, and the emulator then
// panics and exits (the runtime API's port is bound in a goroutine, so it
// may even serve its own port for a moment first) while the dial reaches the
// other process's listener. Reading the owner from /proc leaves no window.
func listening(pid int, addrs []string) (bool, error) {
	want := map[uint64]bool{}
	for _, a := range addrs {
		_, port, err := net.SplitHostPort(a)
		if err != nil {
			return false, fmt.Errorf("rie: %w", err)
		}
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return false, fmt.Errorf("rie: port of %s: %w", a, err)
		}
		want[p] = true
	}
	table, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return false, fmt.Errorf("rie: read the socket table: %w", err)
	}
	// Rows: sl local_address rem_address st ... uid timeout inode; the
	// local port is hex, state 0A is LISTEN.
	portOf := map[string]uint64{} // socket inode -> port
	for _, row := range strings.Split(string(table), "\n")[1:] {
		f := strings.Fields(row)
		if len(f) < 10 || f[3] != "0A" {
			continue
		}
		_, hex, _ := strings.Cut(f[1], ":")
		if p, err := strconv.ParseUint(hex, 16, 16); err == nil && want[p] {
			portOf[f[9]] = p
		}
	}
	if len(portOf) < len(want) {
		return false, nil
	}
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false, nil // exited: the caller sees it on its done channel
	}
	held := map[uint64]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(dir + "/" + fd.Name())
		if err != nil {
			continue
		}
		if inode, ok := strings.CutPrefix(link, "socket:["); ok {
			if p, ok := portOf[strings.TrimSuffix(inode, "]")]; ok {
				held[p] = true
			}
		}
	}
	return len(held) == len(want), nil
}
