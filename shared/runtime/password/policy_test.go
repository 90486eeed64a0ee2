package password_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/password"
)

func TestCheckPolicy(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		ok   bool
	}{
		{"empty", "", false},
		{"seven", "1234567", false},
		{"eight", "12345678", true},
		{"eight non-ASCII characters", "ééééééé€", true},
		{"seven characters in more bytes", "éééééé€", false},
		{"at the maximum", strings.Repeat("a", password.MaxLen), true},
		{"over the maximum", strings.Repeat("a", password.MaxLen+1), false},
		{"invalid UTF-8", "abcdefgh\xff", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := password.CheckPolicy(tt.pw)
			if tt.ok && err != nil {
				t.Fatalf("CheckPolicy = %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, password.ErrWeakPassword) {
				t.Fatalf("CheckPolicy = %v, want ErrWeakPassword", err)
			}
		})
	}
}
