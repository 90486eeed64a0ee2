package password_test

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/jwtgate/jwtgate/shared/runtime/password"
)

// legacyVector is one hash written by a real library (testdata/legacy_hashes.py).
type legacyVector struct {
	Lib, Password, Hash string
}

// realHashes runs the generator under /usr/bin/python3 (werkzeug,
// python3-bcrypt, python3-argon2; `make test` installs them) and fails
// when it cannot: the vectors must come from the libraries, fresh salts
// every run.
func realHashes(t *testing.T) []legacyVector {
	t.Helper()
	out, err := exec.Command("/usr/bin/python3", "testdata/legacy_hashes.py").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("legacy_hashes.py: %v\n%s(apt-get install -y python3-werkzeug python3-bcrypt python3-argon2)", err, ee.Stderr)
		}
		t.Fatalf("legacy_hashes.py: %v", err)
	}
	var vs []legacyVector
	if err := json.Unmarshal(out, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestVerifyHashesOfRealLibraries(t *testing.T) {
	seen := map[password.Scheme]bool{}
	for _, v := range realHashes(t) {
		t.Run(v.Lib+"/"+v.Password[:min(len(v.Password), 10)], func(t *testing.T) {
			s, err := password.Identify(v.Hash)
			if err != nil {
				t.Fatalf("Identify(%q) = %v", v.Hash, err)
			}
			seen[s] = true
			if err := password.Check(v.Hash); err != nil {
				t.Fatalf("Check(%q) = %v", v.Hash, err)
			}
			if err := password.Verify(v.Hash, v.Password); err != nil {
				t.Fatalf("Verify(%q, right) = %v", v.Hash, err)
			}
			// The change is up front: bcrypt (in every library) reads only
			// a password's first 72 bytes.
			if err := password.Verify(v.Hash, "!"+v.Password); !errors.Is(err, password.ErrMismatch) {
				t.Fatalf("Verify(%q, wrong) = %v, want ErrMismatch", v.Hash, err)
			}
			if got, want := password.Legacy(v.Hash), s != password.Argon2id; got != want {
				t.Errorf("Legacy(%q) = %v, want %v", v.Hash, got, want)
			}
		})
	}
	for _, s := range []password.Scheme{password.PBKDF2, password.Scrypt, password.Bcrypt, password.Argon2id, password.Argon2i} {
		if !seen[s] {
			t.Errorf("no vector of scheme %s", s)
		}
	}
}

func TestLegacyHashesRefused(t *testing.T) {
	const hex32 = "5a258c7801a4ebf056b91d5e18a5d3bef65b55da88cf8b0011b132d9d08616ba"
	hex64 := strings.Repeat("ab", 64)
	tests := []struct {
		name, hash, reason string
	}{
		{"pbkdf2 without iterations", "pbkdf2:sha256$salt$" + hex32, "explicit iteration count"},
		{"pbkdf2 iterations over the bound", fmt.Sprintf("pbkdf2:sha256:%d$salt$%s", password.MaxPBKDF2Iterations+1, hex32), "iterations must be"},
		{"pbkdf2 zero iterations", "pbkdf2:sha256:0$salt$" + hex32, "iterations must be"},
		{"pbkdf2 unknown hash", "pbkdf2:md5:1000$salt$" + hex32, "unsupported pbkdf2 hash"},
		{"pbkdf2 digest not hex", "pbkdf2:sha256:1000$salt$zz", "hexadecimal"},
		{"pbkdf2 missing salt", "pbkdf2:sha256:1000$$" + hex32, "method$salt$hexdigest"},
		{"scrypt without parameters", "scrypt:$salt$" + hex64, "scrypt:<n>:<r>:<p>"},
		{"scrypt n not a power of 2", "scrypt:1000:8:1$salt$" + hex64, "power of 2"},
		{"scrypt memory over the bound", "scrypt:1048576:8:1$salt$" + hex64, "power of 2"},
		{"scrypt p over the bound", "scrypt:16384:8:100$salt$" + hex64, "power of 2"},
		// 128*n wraps to 0 in 64 bits: the bound must not be computed from it.
		{"scrypt n overflowing the product", "scrypt:4611686018427387904:1:1$salt$" + hex64, "power of 2"},
		{"scrypt n*r overflowing the product", "scrypt:144115188075855872:8:1$salt$" + hex64, "power of 2"},
		{"scrypt short digest", "scrypt:16384:8:1$salt$" + hex32, "64 bytes"},
		{"bcrypt cost over the bound", "$2b$15$" + strings.Repeat("a", 53), "cost above"},
		{"bcrypt truncated", "$2b$04$abc", ""},
		{"werkzeug plain sha256", "sha256$salt$" + hex32, ""},
		{"md5 crypt", "$1$salt$hash", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := password.Check(tt.hash)
			if !errors.Is(err, password.ErrFormat) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("Check(%q) = %v, want ErrFormat saying %q", tt.hash, err, tt.reason)
			}
			if err := password.Verify(tt.hash, "pw"); !errors.Is(err, password.ErrFormat) {
				t.Fatalf("Verify = %v, want ErrFormat", err)
			}
		})
	}
}

// TestCostIsCanonical: `user import` prints Cost for
// JWTGATE_LEGACY_HASH_COST, whose syntax is digits only; a hash written
// with a sign or leading zeros (werkzeug's int() reads both) names the
// same work as the plain form, and must print as it.
func TestCostIsCanonical(t *testing.T) {
	const hex32 = "5a258c7801a4ebf056b91d5e18a5d3bef65b55da88cf8b0011b132d9d08616ba"
	hex64 := strings.Repeat("ab", 64)
	tests := []struct{ hash, want string }{
		{"pbkdf2:sha256:260000$salt$" + hex32, "pbkdf2:sha256:260000"},
		{"pbkdf2:sha256:+260000$salt$" + hex32, "pbkdf2:sha256:260000"},
		{"pbkdf2:sha256:000260000$salt$" + hex32, "pbkdf2:sha256:260000"},
		{"scrypt:032768:+8:01$salt$" + hex64, "scrypt:32768:8:1"},
	}
	for _, tt := range tests {
		got, err := password.Cost(tt.hash)
		if err != nil || got != tt.want {
			t.Errorf("Cost(%q) = %q, %v; want %q", tt.hash, got, err, tt.want)
			continue
		}
		if _, err := password.NewChecker(got); err != nil {
			t.Errorf("NewChecker(%q) refuses the cost Cost printed: %v", got, err)
		}
	}
}

func TestCheckerEqualWork(t *testing.T) {
	vs := realHashes(t)
	find := func(prefix string) legacyVector {
		for _, v := range vs {
			if strings.HasPrefix(v.Hash, prefix) {
				return v
			}
		}
		t.Fatalf("no vector %s", prefix)
		return legacyVector{}
	}
	argon, err := password.Hash(strings.NewReader(strings.Repeat("s", 16)), "argon-pw", password.Default)
	if err != nil {
		t.Fatal(err)
	}
	argonCost := fmt.Sprintf("argon2id:m=%d,t=%d,p=%d", password.Default.Memory, password.Default.Time, password.Default.Threads)
	for _, legacy := range []string{"pbkdf2:sha256:260000", "scrypt:16384:8:1", "$2b$04$"} {
		v := find(legacy)
		cost := legacy
		if legacy == "$2b$04$" {
			cost = "bcrypt:4"
		}
		t.Run(cost, func(t *testing.T) {
			var work []string
			c, err := password.NewChecker(cost, password.WithWorkCounter(func(c string) { work = append(work, c) }))
			if err != nil {
				t.Fatal(err)
			}
			paths := []struct {
				name string
				run  func() error
				want error
			}{
				{"unknown user", func() error { return c.Dummy("guess") }, password.ErrMismatch},
				{"argon2id, right", func() error { return c.Verify(argon, "argon-pw") }, nil},
				{"argon2id, wrong", func() error { return c.Verify(argon, "guess") }, password.ErrMismatch},
				{"legacy, right", func() error { return c.Verify(v.Hash, v.Password) }, nil},
				{"legacy, wrong", func() error { return c.Verify(v.Hash, "guess") }, password.ErrMismatch},
			}
			want := []string{argonCost, cost}
			for _, p := range paths {
				work = nil
				if err := p.run(); !errors.Is(err, p.want) {
					t.Fatalf("%s: %v, want %v", p.name, err, p.want)
				}
				slices.Sort(work)
				if !slices.Equal(work, want) {
					t.Errorf("%s: work %v, want %v (every path the same)", p.name, work, want)
				}
			}
		})
	}
	// An imported argon2i hash is argon2 work, in the argon2id slot: at the
	// same parameters its users cost what an unknown name costs, with or
	// without a legacy cost (it used to add a dummy argon2id: twice the work).
	salt := []byte(strings.Repeat("i", 16))
	d := password.Default
	argon2i := fmt.Sprintf("$argon2i$v=19$m=%d,t=%d,p=%d$%s$%s", d.Memory, d.Time, d.Threads,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(argon2.Key([]byte("argon2i-pw"), salt, d.Time, d.Memory, d.Threads, 32)))
	argon2iCost := fmt.Sprintf("argon2i:m=%d,t=%d,p=%d", d.Memory, d.Time, d.Threads)
	for _, legacy := range []string{"", "pbkdf2:sha256:260000"} {
		t.Run("argon2i import, legacy cost "+cmp.Or(legacy, "none"), func(t *testing.T) {
			var work []string
			c, err := password.NewChecker(legacy, password.WithWorkCounter(func(c string) { work = append(work, c) }))
			if err != nil {
				t.Fatal(err)
			}
			_ = c.Dummy("x")
			unknown := len(work)
			work = nil
			if err := c.Verify(argon2i, "argon2i-pw"); err != nil {
				t.Fatalf("argon2i hash: %v", err)
			}
			want := []string{argon2iCost}
			if legacy != "" {
				want = append(want, legacy)
			}
			if !slices.Equal(work, want) || len(work) != unknown {
				t.Errorf("argon2i user: work %v, want %v (as many as an unknown name's %d)", work, want, unknown)
			}
		})
	}
	t.Run("no legacy cost", func(t *testing.T) {
		var work []string
		c, err := password.NewChecker("", password.WithWorkCounter(func(c string) { work = append(work, c) }))
		if err != nil {
			t.Fatal(err)
		}
		_ = c.Dummy("x")
		_ = c.Verify(argon, "x")
		if want := []string{argonCost, argonCost}; !slices.Equal(work, want) {
			t.Errorf("work %v, want %v", work, want)
		}
	})
}

func TestNewCheckerRefusesBadCost(t *testing.T) {
	for _, cost := range []string{"md5", "pbkdf2:sha256", "pbkdf2:sha256:99999999", "scrypt:3:8:1", "bcrypt:99", "bcrypt:x"} {
		if _, err := password.NewChecker(cost); !errors.Is(err, password.ErrFormat) {
			t.Errorf("NewChecker(%q) = %v, want ErrFormat", cost, err)
		}
	}
}
