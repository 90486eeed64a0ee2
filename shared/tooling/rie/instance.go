package rie

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jwtgate/jwtgate/shared/tooling/procmem"
)

// Emulator limits.
const (
	startTimeout = 10 * time.Second // until the emulator listens
	stopTimeout  = 3 * time.Second  // SIGTERM, then SIGKILL
	startTries   = 3                // a probed free port can be taken before the emulator binds it
	invokePath   = "/2015-03-31/functions/function/invocations"
	tailBytes    = 16 << 10        // emulator output kept for error messages
	initWait     = 2 * time.Second // INIT REPORT may trail the invoke's reply on the pipe
	invokeMargin = 2 * time.Second // beyond the function timeout, before giving up on the emulator
)

// initReport is the emulator's real init time line (--log-level info).
var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// instance is one emulator process serving one function, one invoke at a time.
type instance struct {
	function string
	url      string
	cmd      *exec.Cmd
	done     chan struct{} // closed when the emulator has exited
	initSeen chan struct{} // closed when INIT REPORT was read

	mu      sync.Mutex
	init    time.Duration
	peakRSS uint64 // bytes
	invokes int
	tail    []byte
	once    sync.Once
}

// start launches an emulator for fn on two fresh loopback ports.
func start(ctx context.Context, emulator, function string, fn Function, env []string, out io.Writer) (*instance, error) {
	var err error
	for try := 0; try < startTries; try++ {
		var inst *instance
		if inst, err = launch(ctx, emulator, function, fn, env, out); err == nil {
			return inst, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, err
}

func launch(ctx context.Context, emulator, function string, fn Function, env []string, out io.Writer) (*instance, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	runtimeAPI := "127.0.0.1:" + strconv.Itoa(ports[1])
	args := append([]string{"--log-level", "info",
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", runtimeAPI,
		fn.Bootstrap}, fn.Args...)
	cmd := exec.Command(emulator, args...)
	cmd.Dir = fn.Dir
	if cmd.Dir == "" {
		cmd.Dir = filepath.Dir(fn.Bootstrap)
	}
	cmd.Env = env
	setParentDeathSignal(cmd)
	// The runtime inherits the pipe: WaitDelay bounds Wait should it
	// outlive the emulator.
	cmd.WaitDelay = stopTimeout
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	inst := &instance{function: function, url: "http://" + addr + invokePath, cmd: cmd,
		done: make(chan struct{}), initSeen: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return nil, fmt.Errorf("rie: start %s: %w", function, err)
	}
	// done closes after the last line was scanned, so no output is
	// written after stop returns.
	scanned := make(chan struct{})
	go func() { inst.scan(pr, out); close(scanned) }()
	go func() { _ = cmd.Wait(); pw.Close(); <-scanned; close(inst.done) }()
	if err := inst.waitListening(ctx, addr, runtimeAPI); err != nil {
		inst.stop()
		return nil, err
	}
	return inst, nil
}

// scan copies the emulator's output (its own log and the function's) to
// out, keeps a tail for error messages and picks up INIT REPORT.
func (i *instance) scan(r io.Reader, out io.Writer) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if out != nil {
			_, _ = fmt.Fprintf(out, "[%s] %s\n", i.function, line)
		}
		i.mu.Lock()
		i.tail = append(i.tail, line...)
		i.tail = append(i.tail, '\n')
		if len(i.tail) > tailBytes {
			i.tail = i.tail[len(i.tail)-tailBytes:]
		}
		if m := initReport.FindSubmatch(line); m != nil && i.init == 0 {
			if ms, err := strconv.ParseFloat(string(m[1]), 64); err == nil {
				i.init = time.Duration(ms * float64(time.Millisecond))
				close(i.initSeen)
			}
		}
		i.mu.Unlock()
	}
	_, _ = io.Copy(io.Discard, r)
}

func (i *instance) output() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return strings.TrimSpace(string(i.tail))
}

// waitListening returns once the emulator itself listens on both its
// addresses; an emulator that lost a port to another process exits, and
// start tries again on fresh ports.
func (i *instance) waitListening(ctx context.Context, addrs ...string) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		ok, err := listening(i.cmd.Process.Pid, addrs)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-i.done:
			return fmt.Errorf("rie: %s: emulator exited during start-up: %s\n%s", i.function, i.cmd.ProcessState, i.output())
		case <-ctx.Done():
			return fmt.Errorf("rie: %s: emulator did not listen on %s: %w\n%s", i.function, strings.Join(addrs, " and "), ctx.Err(), i.output())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// invoke posts one event. ok is false when the instance must not be reused.
func (i *instance) invoke(ctx context.Context, client *http.Client, payload []byte, timeout time.Duration) (out []byte, reusable bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout+invokeMargin)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, i.url, bytes.NewReader(payload))
	if err != nil {
		return nil, false, fmt.Errorf("rie: %s: %w", i.function, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, false, fmt.Errorf("rie: invoke %s: %w", i.function, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, false, fmt.Errorf("rie: invoke %s: read reply: %w", i.function, err)
	}
	i.afterInvoke()
	return classify(i.function, resp.StatusCode, body)
}

// afterInvoke records the bootstrap's peak RSS (VmHWM only grows, so the
// last reading is the peak) and, after the first invoke, waits briefly for
// the INIT REPORT line.
func (i *instance) afterInvoke() {
	i.mu.Lock()
	i.invokes++
	first := i.invokes == 1
	i.mu.Unlock()
	if first {
		select {
		case <-i.initSeen:
		case <-time.After(initWait):
		}
	}
	var peak uint64
	for _, pid := range children(i.cmd.Process.Pid) {
		if u, err := procmem.Read(pid); err == nil && u.Peak > peak {
			peak = u.Peak
		}
	}
	i.mu.Lock()
	if peak > i.peakRSS {
		i.peakRSS = peak
	}
	i.mu.Unlock()
}

func (i *instance) stats() Stats {
	i.mu.Lock()
	defer i.mu.Unlock()
	return Stats{Function: i.function, Init: i.init, PeakRSS: i.peakRSS, Invokes: i.invokes}
}

// stop asks the emulator to shut down (it SIGKILLs its runtime), then
// kills it and any child left behind: the runtime runs in its own process
// group, so killing the emulator alone would orphan it.
func (i *instance) stop() {
	i.once.Do(func() {
		kids := children(i.cmd.Process.Pid)
		_ = i.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-i.done:
		case <-time.After(stopTimeout):
			_ = i.cmd.Process.Kill()
			for _, pid := range kids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			<-i.done
		}
	})
}

// children lists the child processes of pid (the bootstrap).
func children(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	sort.Ints(out)
	return out
}

// freePorts asks the kernel for n distinct unused loopback ports.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("rie: find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
