package password_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/password"
)

// cheap keeps the tests fast; Verify reads parameters from the hash.
var cheap = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashVerify(t *testing.T) {
	h, err := password.Hash(rand.Reader, "correct horse", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("PHC string %q", h)
	}
	if err := password.Verify(h, "correct horse"); err != nil {
		t.Errorf("Verify(right) = %v", err)
	}
	for _, wrong := range []string{"correct horsE", "correct horse ", "", "correct"} {
		if err := password.Verify(h, wrong); !errors.Is(err, password.ErrMismatch) {
			t.Errorf("Verify(%q) = %v, want ErrMismatch", wrong, err)
		}
	}
	h2, _ := password.Hash(rand.Reader, "correct horse", cheap)
	if h == h2 {
		t.Errorf("two hashes of one password are equal: salt not random")
	}
}

func TestHashDefault(t *testing.T) {
	h, err := password.HashDefault("testpass-123")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$", password.Default.Memory, password.Default.Time, password.Default.Threads)
	if !strings.HasPrefix(h, want) {
		t.Errorf("PHC %q, want prefix %q", h, want)
	}
	if err := password.Verify(h, "testpass-123"); err != nil {
		t.Errorf("Verify = %v", err)
	}
}

func TestVerifyRefusesBadHashes(t *testing.T) {
	good, err := password.Hash(rand.Reader, "pw", cheap)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=..., salt, key
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := map[string]string{
		"empty":            "",
		"version 16":       with(2, "v=16"),
		"version garbage":  with(2, "v=x"),
		"params garbage":   with(3, "m=a,t=1,p=1"),
		"salt not base64":  with(4, "!!!!"),
		"salt too short":   with(4, "AAAA"),
		"key not base64":   with(5, "!!!!"),
		"key too short":    with(5, "AAAAAAAA"),
		"missing part":     strings.Join(parts[:5], "$"),
		"memory huge":      with(3, "m=4194304,t=1,p=1"),
		"memory tiny":      with(3, "m=1,t=1,p=1"),
		"time huge":        with(3, "m=64,t=1000,p=1"),
		"time zero":        with(3, "m=64,t=0,p=1"),
		"no threads":       with(3, "m=64,t=1,p=0"),
		"threads overflow": with(3, "m=64,t=1,p=256"),
		"negative memory":  with(3, "m=-1,t=1,p=1"),
		"extra part":       good + "$extra",
	}
	for name, phc := range tests {
		t.Run(name, func(t *testing.T) {
			if err := password.Verify(phc, "pw"); !errors.Is(err, password.ErrFormat) {
				t.Fatalf("Verify(%q) = %v, want ErrFormat", phc, err)
			}
		})
	}
}

func TestVerifyDummy(t *testing.T) {
	// Its cost is the point, but timing is not asserted here (noisy); what
	// matters to callers is that it never succeeds.
	for _, pw := range []string{"", "testpass", strings.Repeat("x", 1024)} {
		if err := password.VerifyDummy(pw); !errors.Is(err, password.ErrMismatch) {
			t.Errorf("VerifyDummy(%d bytes) = %v, want ErrMismatch", len(pw), err)
		}
	}
}

func TestCheckPolicyReason(t *testing.T) {
	err := password.CheckPolicy("short")
	if !errors.Is(err, password.ErrWeakPassword) || !strings.HasSuffix(err.Error(), "shorter than 8 characters") {
		t.Errorf("CheckPolicy(short) = %v, want the reason after the sentinel", err)
	}
	if err := password.CheckPolicy("long enough"); err != nil {
		t.Errorf("CheckPolicy = %v", err)
	}
}
