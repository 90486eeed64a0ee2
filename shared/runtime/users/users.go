package users

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// Sentinel errors of the user stores.
var (
	ErrNotFound = errors.New("users: not found")
	ErrExists   = errors.New("users: already exists")
	// ErrChanged refuses a password change made against a record that has
	// changed since it was read: another hash (a reset, a concurrent
	// change), a disable, or no record at all.
	ErrChanged = errors.New("users: changed since read")
	// ErrHashChanged is a conditional hash replacement that found another
	// hash than the one it was to replace (a password change won the race).
	ErrHashChanged = errors.New("users: password hash changed meanwhile")
	// ErrIdentityTaken refuses a user whose Identity another user has.
	ErrIdentityTaken = errors.New("users: identity taken by another user")
)

// User is one account.
type User struct {
	Name              string
	PasswordHash      string // argon2id PHC string, or an imported hash (password.Scheme)
	Roles             []string
	Disabled          bool
	PasswordChangedAt time.Time
	// Generation counts the user's "log out everywhere" events (password
	// changes, disables, `jwtgate revoke --user`). Login reads it with the
	// hash, in one read of one record, and signs it into the session's
	// tokens; a cut-off then revokes the generations below the new one,
	// with no comparison of clocks. It only ever rises.
	Generation int64
	// Claims are the user's own claims (e.g. tenant, plan: flask's
	// additional_claims), written as top-level claims into the tokens of
	// every login and refresh; a change shows at the user's next refresh.
	// Names and sizes are bounded by CheckClaims.
	Claims map[string]string
	// Identity is what the Flask app passed to create_access_token as
	// identity, when it is not the username (an integer id, a string id),
	// as its canonical JSON text (tokens.CanonicalIdentity: 42, "u-42").
	// With JWTGATE_LEGACY_IDENTITIES=imported a legacy token's identity is
	// mapped through it to Name (MapLegacyIdentity); empty: none.
	Identity string
}

// CheckClaims refuses user claims a token must not carry: a reserved name
// (sub, sid, roles, exp, ...), a malformed one, too many or too long
// (tokens.CheckUserClaims has the bounds); the error wraps
// tokens.ErrUserClaim.
func CheckClaims(claims map[string]string) error {
	if err := tokens.CheckUserClaims(claims, ""); err != nil {
		return fmt.Errorf("users: claims: %w", err)
	}
	return nil
}

// clone returns u with its own copies of the slices and maps it holds.
func (u User) clone() User {
	u.Roles = slices.Clone(u.Roles)
	u.Claims = maps.Clone(u.Claims)
	return u
}

// HasRole reports whether u has role.
func (u User) HasRole(role string) bool { return slices.Contains(u.Roles, role) }

// MemoryStore keeps users in a map; `jwtgate dev` and tests use it.
type MemoryStore struct {
	mu    sync.RWMutex
	users map[string]User
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{users: map[string]User{}} }

// Get returns the user called name, or ErrNotFound.
func (m *MemoryStore) Get(_ context.Context, name string) (User, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	u, ok := m.users[name]
	if !ok {
		return User{}, fmt.Errorf("get user %q: %w", name, ErrNotFound)
	}
	return u.clone(), nil
}

// Add creates u, or fails with ErrExists (or CheckClaims' error). An
// identity another user holds is ErrIdentityTaken.
func (m *MemoryStore) Add(_ context.Context, u User) error {
	if err := CheckClaims(u.Claims); err != nil {
		return fmt.Errorf("add user %q: %w", u.Name, err)
	}
	if err := CheckIdentity(u.Identity); err != nil {
		return fmt.Errorf("add user %q: %w", u.Name, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.users[u.Name]; ok {
		return fmt.Errorf("add user %q: %w", u.Name, ErrExists)
	}
	if _, taken := m.nameOf(u.Identity); taken {
		return fmt.Errorf("add user %q: identity %s: %w", u.Name, u.Identity, ErrIdentityTaken)
	}
	m.users[u.Name] = u.clone()
	return nil
}

// Put creates or replaces u (or fails with CheckClaims' error).
func (m *MemoryStore) Put(_ context.Context, u User) error {
	if err := CheckClaims(u.Claims); err != nil {
		return fmt.Errorf("put user %q: %w", u.Name, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.users[u.Name] = u.clone()
	return nil
}

// SetPassword replaces name's hash, records when and raises its
// generation, in one step, and returns the new generation; or ErrNotFound.
func (m *MemoryStore) SetPassword(_ context.Context, name, hash string, at time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[name]
	if !ok {
		return 0, fmt.Errorf("set password of %q: %w", name, ErrNotFound)
	}
	u.PasswordHash, u.PasswordChangedAt = hash, at
	u.Generation++
	m.users[name] = u
	return u.Generation, nil
}

// ChangePassword is SetPassword only while name still has oldHash (the
// hash the old password was checked against) and is not disabled, in the
// same step; otherwise ErrChanged and nothing changes.
func (m *MemoryStore) ChangePassword(_ context.Context, name, oldHash, hash string, at time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[name]
	if !ok || u.PasswordHash != oldHash || u.Disabled {
		return 0, fmt.Errorf("change password of %q: %w", name, ErrChanged)
	}
	u.PasswordHash, u.PasswordChangedAt = hash, at
	u.Generation++
	m.users[name] = u
	return u.Generation, nil
}

// ReplaceHash sets name's hash to hash if it is still old, leaving the
// generation alone (the password is the same, so its sessions stay):
// login's upgrade of an imported hash. ErrHashChanged when the hash is no
// longer old, ErrNotFound when there is no such user.
func (m *MemoryStore) ReplaceHash(_ context.Context, name, old, hash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[name]
	if !ok {
		return fmt.Errorf("replace hash of %q: %w", name, ErrNotFound)
	}
	if u.PasswordHash != old {
		return fmt.Errorf("replace hash of %q: %w", name, ErrHashChanged)
	}
	u.PasswordHash = hash
	m.users[name] = u
	return nil
}

// NewGeneration raises name's generation by one and returns it, or
// ErrNotFound.
func (m *MemoryStore) NewGeneration(_ context.Context, name string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[name]
	if !ok {
		return 0, fmt.Errorf("new generation of %q: %w", name, ErrNotFound)
	}
	u.Generation++
	m.users[name] = u
	return u.Generation, nil
}

// SetDisabled sets or clears name's disabled flag, or ErrNotFound.
func (m *MemoryStore) SetDisabled(_ context.Context, name string, disabled bool) error {
	return m.edit(name, "set disabled", func(u *User) { u.Disabled = disabled })
}

// SetRoles replaces name's roles, or ErrNotFound.
func (m *MemoryStore) SetRoles(_ context.Context, name string, roles []string) error {
	return m.edit(name, "set roles", func(u *User) { u.Roles = slices.Clone(roles) })
}

// SetClaims replaces name's claims (none when empty), or ErrNotFound, or
// CheckClaims' error.
func (m *MemoryStore) SetClaims(_ context.Context, name string, claims map[string]string) error {
	if err := CheckClaims(claims); err != nil {
		return fmt.Errorf("set claims of %q: %w", name, err)
	}
	return m.edit(name, "set claims", func(u *User) {
		u.Claims = nil
		if len(claims) > 0 {
			u.Claims = maps.Clone(claims)
		}
	})
}

// edit applies f to name's record under the lock, or returns ErrNotFound
// wrapped with what.
func (m *MemoryStore) edit(name, what string, f func(*User)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[name]
	if !ok {
		return fmt.Errorf("%s of %q: %w", what, name, ErrNotFound)
	}
	f(&u)
	m.users[name] = u
	return nil
}

// NameOf returns the name of the user whose Identity is identity (its
// canonical text), or ErrNotFound.
func (m *MemoryStore) NameOf(_ context.Context, identity string) (string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if name, ok := m.nameOf(identity); ok {
		return name, nil
	}
	return "", fmt.Errorf("user of identity %s: %w", identity, ErrNotFound)
}

// nameOf finds identity's user under the lock; "" is nobody's identity.
func (m *MemoryStore) nameOf(identity string) (string, bool) {
	if identity == "" {
		return "", false
	}
	for name, u := range m.users {
		if u.Identity == identity {
			return name, true
		}
	}
	return "", false
}

// List returns every user, sorted by name.
func (m *MemoryStore) List(_ context.Context) ([]User, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]User, 0, len(m.users))
	for _, u := range m.users {
		out = append(out, u.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
