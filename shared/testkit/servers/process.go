package servers

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/testkit/capture"
)

// StartTimeout bounds how long a server may take to say it listens; on a
// loaded machine a Python app importing flask takes seconds.
const StartTimeout = 30 * time.Second

// StopDelay is how long Stop waits after SIGINT before it kills.
const StopDelay = 5 * time.Second

var (
	// ErrExited is a server that exited before it listened, such as
	// jwtgate dev refusing its configuration. The error's text ends with
	// the server's output, its last line the reason.
	ErrExited = errors.New("servers: exited before listening")
	// ErrTimeout is a server that did not say it listens within
	// StartTimeout.
	ErrTimeout = errors.New("servers: not listening in time")
)

// Process is a running server, a child of this test process.
type Process struct {
	// URL is where the server answers: http://127.0.0.1:<port>.
	URL    string
	logs   capture.Buffer
	cancel context.CancelFunc
	done   chan struct{}
}

// Logs is the server's output so far, stdout and stderr, for failure
// messages.
func (p *Process) Logs() string { return p.logs.String() }

// Stop ends the server as Ctrl-C does (SIGINT), kills it when it has not
// exited after StopDelay, and waits for it. Calling it again does nothing.
func (p *Process) Stop() {
	p.cancel()
	<-p.done
}

// Env is the environment a server starts with: PATH and HOME of this
// process, LANG=C.UTF-8, then env.
func Env(env map[string]string) []string {
	out := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LANG=C.UTF-8"}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// launch runs name with args and env (and extra as fd 3 on), and returns
// once a line of its stdout matches ready, with that line's submatches.
// ctx bounds only the wait: the server runs until Stop.
func launch(ctx context.Context, name string, args, env []string, extra []*os.File, ready *regexp.Regexp) (*Process, []string, error) {
	life, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(life, name, args...)
	cmd.Env = env
	cmd.ExtraFiles = extra
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = StopDelay
	p := &Process{cancel: cancel, done: make(chan struct{})}
	cmd.Stderr = &p.logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("servers: start %s: %w", name, err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, nil, fmt.Errorf("servers: start %s: %w", name, err)
	}
	found := make(chan []string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(&p.logs, line)
			if m := ready.FindStringSubmatch(line); m != nil && !sent {
				found <- m
				sent = true
			}
		}
		// A line too long for the scanner stops it; keep the rest.
		_, _ = io.Copy(&p.logs, stdout)
		_ = cmd.Wait()
	}()
	timer := time.NewTimer(StartTimeout)
	defer timer.Stop()
	select {
	case m := <-found:
		return p, m, nil
	case <-p.done:
		cancel()
		return nil, nil, fmt.Errorf("%w: %s: %s", ErrExited, name, strings.TrimSpace(p.Logs()))
	case <-timer.C:
		p.Stop()
		return nil, nil, fmt.Errorf("%w: %s after %s:\n%s", ErrTimeout, name, StartTimeout, p.Logs())
	case <-ctx.Done():
		p.Stop()
		return nil, nil, fmt.Errorf("servers: start %s: %w", name, ctx.Err())
	}
}

// started fails t on err and otherwise stops p when t ends, showing its
// output when t failed.
func started(t testing.TB, what string, p *Process, err error) *Process {
	t.Helper()
	if err != nil {
		t.Fatalf("start %s: %v", what, err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", what, p.Logs())
		}
	})
	return p
}
