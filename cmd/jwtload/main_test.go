package main

import (
	"errors"
	"io"
	"os"
	"slices"
	"testing"
)

// TestParseFlagsLoopbackOnly: the load generator refuses any target off
// this host, and its bounds.
func TestParseFlagsLoopbackOnly(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr error // nil: accepted; errAny: any error
	}{
		{"ipv4 loopback", []string{"-url", "http://127.0.0.1:3000"}, nil},
		{"other 127/8", []string{"-url", "http://127.9.8.7:3000"}, nil},
		{"ipv6 loopback", []string{"-url", "http://[::1]:3000"}, nil},
		{"localhost", []string{"-url", "http://localhost:3000"}, nil},
		{"public name", []string{"-url", "https://example.com"}, ErrNotLoopback},
		{"private address", []string{"-url", "http://10.0.0.1:3000"}, ErrNotLoopback},
		{"any address", []string{"-url", "http://0.0.0.0:3000"}, ErrNotLoopback},
		{"name ending in localhost", []string{"-url", "http://evil.localhost.example:3000"}, ErrNotLoopback},
		{"private address, allowed", []string{"-allow-private", "-url", "http://10.0.0.1:3000"}, nil},
		{"docker bridge, allowed", []string{"-allow-private", "-url", "http://172.17.0.2:5000"}, nil},
		{"compose service name, allowed (checked when dialled)", []string{"-allow-private", "-url", "http://flask:5000"}, nil},
		{"public address, even with -allow-private", []string{"-allow-private", "-url", "http://8.8.8.8"}, ErrNotLoopback},
		{"any address, even with -allow-private", []string{"-allow-private", "-url", "http://0.0.0.0:3000"}, ErrNotLoopback},
		{"too many clients", []string{"-clients", "100000"}, errAny},
		{"too long", []string{"-duration", "24h"}, errAny},
		{"unknown scenario", []string{"-scenario", "flood"}, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(tt.args, io.Discard)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.wantErr == errAny && err == nil, tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// errAny marks a case that must fail, whatever the error.
var errAny = errors.New("any error")

// TestDialerRefusesNonLoopback: the dial-time check catches a name that
// resolves off-host.
func TestDialerRefusesNonLoopback(t *testing.T) {
	tests := []struct {
		address string
		private bool
		allowed bool
	}{
		{"127.0.0.1:80", false, true},
		{"[::1]:80", false, true},
		{"192.0.2.1:80", false, false},
		{"10.1.2.3:80", false, false},
		{"10.1.2.3:80", true, true},
		{"172.17.0.2:5000", true, true},
		{"[fd00::1]:80", true, true},
		{"169.254.1.1:80", true, true},
		{"192.0.2.1:80", true, false}, // a public name resolving off the private networks
		{"8.8.8.8:443", true, false},
	}
	for _, tt := range tests {
		err := loopbackDialer(tt.private).Control("tcp", tt.address, nil)
		if tt.allowed && err != nil || !tt.allowed && !errors.Is(err, ErrNotLoopback) {
			t.Errorf("dial %s (allow-private %v): err = %v, want allowed %v", tt.address, tt.private, err, tt.allowed)
		}
	}
}

// TestParsePids: -pid takes one id or a comma-separated list (gunicorn's
// master and workers), so a multi-process server's memory can be measured.
func TestParsePids(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{"", nil, false},
		{"0", nil, false},
		{"1234", []int{1234}, false},
		{"10,11, 12", []int{10, 11, 12}, false},
		{"10,10", []int{10}, false},
		{"10,", nil, true},
		{"-5", nil, true},
		{"abc", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parsePids(tt.in)
			if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
				t.Fatalf("parsePids(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
	o, err := parseFlags([]string{"-pid", "1,2,3"}, io.Discard)
	if err != nil || !slices.Equal(o.pids, []int{1, 2, 3}) {
		t.Fatalf("-pid 1,2,3: pids %v, err %v", o.pids, err)
	}
	if _, err := parseFlags([]string{"-pid", "x"}, io.Discard); err == nil {
		t.Fatal("-pid x accepted")
	}
}

// TestReadRSSSum: the RSS of several processes is the sum of each.
func TestReadRSSSum(t *testing.T) {
	self, parent := os.Getpid(), os.Getppid()
	a, _, err := readRSSSum([]int{self})
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := readRSSSum([]int{parent})
	if err != nil {
		t.Fatal(err)
	}
	sum, hwm, err := readRSSSum([]int{self, parent})
	if err != nil {
		t.Fatal(err)
	}
	// Our own RSS moves between reads; allow 10 %.
	if want := a + b; sum < want*9/10 || sum > want*11/10 || hwm < sum*9/10 {
		t.Fatalf("sum %d KiB (peaks %d), want about %d + %d", sum, hwm, a, b)
	}
	if _, _, err := readRSSSum([]int{self, 1 << 30}); err == nil {
		t.Fatal("a missing pid was not reported")
	}
}
