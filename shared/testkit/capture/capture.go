// Package capture holds a child process's or a logger's output while the
// test reads it: a buffer safe for the concurrent writes of output
// goroutines, handlers and invocations. One type, so the test kits and
// suites stop carrying a copy each.
package capture

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer safe for concurrent use. The zero value is an
// empty, unbounded buffer.
type Buffer struct {
	// Limit, when positive, is how many bytes are kept: later writes are
	// dropped (and reported written), enough to explain a failure of a
	// chatty process without growing without bound.
	Limit int
	mu    sync.Mutex
	b     bytes.Buffer
}

// Write appends p, unless Limit is reached.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.Limit > 0 && b.b.Len() >= b.Limit {
		return len(p), nil
	}
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Bytes returns a copy of what was written so far.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.b.Bytes())
}
