package main

import (
	"errors"
	"io"
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
	ctrl := loopbackDialer().Control
	if err := ctrl("tcp", "127.0.0.1:80", nil); err != nil {
		t.Errorf("loopback refused: %v", err)
	}
	if err := ctrl("tcp", "192.0.2.1:80", nil); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("192.0.2.1: err = %v, want ErrNotLoopback", err)
	}
}
