package users

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
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
	u.Roles = slices.Clone(u.Roles)
	return u, nil
}

// Add creates u, or fails with ErrExists.
func (m *MemoryStore) Add(_ context.Context, u User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.users[u.Name]; ok {
		return fmt.Errorf("add user %q: %w", u.Name, ErrExists)
	}
	u.Roles = slices.Clone(u.Roles)
	m.users[u.Name] = u
	return nil
}

// Put creates or replaces u.
func (m *MemoryStore) Put(_ context.Context, u User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u.Roles = slices.Clone(u.Roles)
	m.users[u.Name] = u
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
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[name]
	if !ok {
		return fmt.Errorf("set disabled of %q: %w", name, ErrNotFound)
	}
	u.Disabled = disabled
	m.users[name] = u
	return nil
}

// SetRoles replaces name's roles, or ErrNotFound.
func (m *MemoryStore) SetRoles(_ context.Context, name string, roles []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[name]
	if !ok {
		return fmt.Errorf("set roles of %q: %w", name, ErrNotFound)
	}
	u.Roles = slices.Clone(roles)
	m.users[name] = u
	return nil
}

// List returns every user, sorted by name.
func (m *MemoryStore) List(_ context.Context) ([]User, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]User, 0, len(m.users))
	for _, u := range m.users {
		u.Roles = slices.Clone(u.Roles)
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
