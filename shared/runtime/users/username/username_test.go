package username_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/users/username"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr error
	}{
		{"ASCII", "testuser", "testuser", nil},
		{"ASCII case kept", "Admin", "Admin", nil},
		{"ASCII punctuation", "a.b-c_d@example.com", "a.b-c_d@example.com", nil},
		{"full-width folded", "ａｄｍｉｎ", "admin", nil},
		{"full-width digits folded", "user１２", "user12", nil},
		{"NFC composed", "jose\u0301", "josé", nil},
		{"Cyrillic a stays distinct", "\u0430dmin", "\u0430dmin", nil},
		{"64 bytes", strings.Repeat("a", 64), strings.Repeat("a", 64), nil},
		{"65 bytes", strings.Repeat("a", 65), "", username.ErrInvalid},
		{"32 two-byte runes", strings.Repeat("é", 32), strings.Repeat("é", 32), nil},
		{"33 two-byte runes", strings.Repeat("é", 33), "", username.ErrInvalid},
		{"empty", "", "", username.ErrInvalid},
		{"space", "test user", "", username.ErrInvalid},
		{"leading space", " admin", "", username.ErrInvalid},
		{"CR", "admin\r", "", username.ErrInvalid},
		{"LF", "admin\nroles=admin", "", username.ErrInvalid},
		{"NUL", "admin\x00", "", username.ErrInvalid},
		{"tab", "ad\tmin", "", username.ErrInvalid},
		{"invalid UTF-8", "adm\xffin", "", username.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := username.Normalize(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Normalize(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	// The look-alike must not collapse onto the ASCII name it imitates.
	a, _ := username.Normalize("admin")
	c, _ := username.Normalize("\u0430dmin")
	if a == c {
		t.Errorf("Cyrillic look-alike normalised to the ASCII name %q", a)
	}
}
