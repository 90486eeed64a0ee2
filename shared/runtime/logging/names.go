package logging

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strconv"
	"strings"
)

// Names hides usernames that a request claims but nobody has verified:
// people type passwords into the username field, and a log line must not
// carry one to CloudWatch. Such a name is logged only as its tag, a keyed
// hash (HMAC-SHA-256 truncated to 64 bits, hex): equal names give equal
// tags within a process, so a spray of one name still shows, but the name
// cannot be read back nor guessed offline without the key, which never
// leaves memory. A name is logged in clear once it is known to exist (it
// is then a username, not a typo of a password).
type Names struct{ key []byte }

// TagKey is the attribute a hidden username is logged under.
const TagKey = "user_tag"

// NewNames returns a Names keyed with key (at least 16 bytes; tests pass a
// fixed one).
func NewNames(key []byte) *Names { return &Names{key: append([]byte(nil), key...)} }

// NewProcessNames returns a Names with a fresh random key: tags are stable
// within one process (a Lambda container) and unrelated across them.
func NewProcessNames() *Names {
	key := make([]byte, 32)
	rand.Read(key) // never fails (crypto/rand since Go 1.24)
	return &Names{key: key}
}

// Tag is the keyed hash of name.
func (n *Names) Tag(name string) string {
	m := hmac.New(sha256.New, n.key)
	m.Write([]byte(name))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// Attr is name's tag as a log attribute.
func (n *Names) Attr(name string) slog.Attr { return slog.String(TagKey, n.Tag(name)) }

// Redact is err's text with name replaced by its tag, for errors whose
// context names the user ("get user \"alice\": ..."): both the quoted
// form (%q) and the bare one are replaced.
func (n *Names) Redact(err error, name string) string {
	msg := err.Error()
	if name == "" {
		return msg
	}
	tag := "user_tag:" + n.Tag(name)
	msg = strings.ReplaceAll(msg, strconv.Quote(name), strconv.Quote(tag))
	return strings.ReplaceAll(msg, name, tag)
}
