package procmem_test

import (
	"errors"
	"os"
	"testing"

	"github.com/jwtgate/jwtgate/shared/tooling/procmem"
)

func TestReadSelf(t *testing.T) {
	before, err := procmem.Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// 64 MiB touched page by page must show in the resident set.
	buf := make([]byte, 64<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	after, err := procmem.Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if before.RSS == 0 || before.Peak < before.RSS {
		t.Fatalf("before: %+v, want RSS > 0 and Peak >= RSS", before)
	}
	if after.RSS < before.RSS+32<<20 || after.Peak < after.RSS {
		t.Fatalf("after touching 64 MiB: %+v (before %+v), want RSS up by most of it", after, before)
	}
	_ = buf[len(buf)-1]
}

func TestReadNoProcess(t *testing.T) {
	if _, err := procmem.Read(1 << 30); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Read of a pid that cannot exist = %v, want not exist", err)
	}
}
