package capture_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/jwtgate/jwtgate/shared/testkit/capture"
)

// TestBuffer: concurrent writers lose nothing (run with -race), and a
// Limit keeps the head and drops the rest while reporting every write done.
func TestBuffer(t *testing.T) {
	var b capture.Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if _, err := b.Write([]byte("x")); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if got := len(b.String()); got != 800 {
		t.Fatalf("len = %d, want 800", got)
	}
	limited := capture.Buffer{Limit: 4}
	for _, s := range []string{"abc", "def", "ghi"} {
		if n, err := limited.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := limited.String(); got != "abcdef" || !strings.HasPrefix(string(limited.Bytes()), "abcd") {
		t.Fatalf("limited = %q, want the writes until the limit was reached (abcdef)", got)
	}
}
