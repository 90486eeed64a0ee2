package rie

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestListeningOwner: a listener only counts for the process that holds it.
func TestListeningOwner(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	sleep := exec.Command("sleep", "10")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sleep.Process.Kill(); _ = sleep.Wait() }()
	mine := l.Addr().String()
	for _, c := range []struct {
		name  string
		pid   int
		addrs []string
		want  bool
	}{
		{"own listener", os.Getpid(), []string{mine}, true},
		{"another process's listener", sleep.Process.Pid, []string{mine}, false},
		{"one of two ports free", os.Getpid(), []string{mine, closed.Addr().String()}, false},
		{"exited process", 1 << 22, []string{mine}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := listening(c.pid, c.addrs)
			if err != nil || got != c.want {
				t.Fatalf("listening = %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

// TestWaitListeningForeignPort: the race behind a "connection refused" at
// the first invoke. Another process holds the probed port and the emulator
// dies of it; start-up must report the exit, where a dial would have called
// the instance up.
func TestWaitListeningForeignPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cmd := exec.Command("sleep", "0.3") // stands in for an emulator that panics on bind
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	inst := &instance{function: "F", cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(inst.done) }()
	err = inst.waitListening(context.Background(), l.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "emulator exited during start-up") {
		t.Fatalf("got %v, want the emulator's exit reported", err)
	}
	select {
	case <-inst.done:
	case <-time.After(time.Second):
		t.Fatal("waitListening returned before the process exited")
	}
}
