package users_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

func TestMemoryStore(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	seed := func(t *testing.T) *users.MemoryStore {
		t.Helper()
		s := users.NewMemoryStore()
		for _, u := range []users.User{
			{Name: "testuser", PasswordHash: "h1", Roles: []string{"user"}},
			{Name: "admin", PasswordHash: "h2", Roles: []string{"admin", "user"}},
			{Name: "carol", PasswordHash: "h3"},
		} {
			if err := s.Add(ctx, u); err != nil {
				t.Fatalf("Add %q: %v", u.Name, err)
			}
		}
		return s
	}

	tests := []struct {
		name    string
		op      func(s *users.MemoryStore) error
		wantErr error
		check   func(t *testing.T, s *users.MemoryStore)
	}{
		{name: "Add existing", wantErr: users.ErrExists,
			op: func(s *users.MemoryStore) error { return s.Add(ctx, users.User{Name: "admin", PasswordHash: "evil"}) },
			check: func(t *testing.T, s *users.MemoryStore) {
				if u := get(t, s, "admin"); u.PasswordHash != "h2" {
					t.Errorf("Add over an existing user changed its hash to %q", u.PasswordHash)
				}
			}},
		{name: "Get missing", wantErr: users.ErrNotFound,
			op: func(s *users.MemoryStore) error { _, err := s.Get(ctx, "nobody"); return err }},
		{name: "SetPassword", op: func(s *users.MemoryStore) error { return wantGen(s.SetPassword(ctx, "testuser", "h9", at))(1) },
			check: func(t *testing.T, s *users.MemoryStore) {
				u := get(t, s, "testuser")
				if u.PasswordHash != "h9" || !u.PasswordChangedAt.Equal(at) || u.Generation != 1 {
					t.Errorf("after SetPassword: %+v", u)
				}
			}},
		{name: "SetPassword missing", wantErr: users.ErrNotFound,
			op: func(s *users.MemoryStore) error { _, err := s.SetPassword(ctx, "nobody", "h", at); return err }},
		{name: "NewGeneration", op: func(s *users.MemoryStore) error {
			if err := wantGen(s.NewGeneration(ctx, "testuser"))(1); err != nil {
				return err
			}
			return wantGen(s.NewGeneration(ctx, "testuser"))(2)
		},
			check: func(t *testing.T, s *users.MemoryStore) {
				if u := get(t, s, "testuser"); u.Generation != 2 || u.PasswordHash != "h1" {
					t.Errorf("after two NewGeneration: %+v", u)
				}
			}},
		{name: "NewGeneration missing", wantErr: users.ErrNotFound,
			op: func(s *users.MemoryStore) error { _, err := s.NewGeneration(ctx, "nobody"); return err }},
		{name: "SetDisabled", op: func(s *users.MemoryStore) error { return s.SetDisabled(ctx, "testuser", true) },
			check: func(t *testing.T, s *users.MemoryStore) {
				if !get(t, s, "testuser").Disabled {
					t.Error("not disabled")
				}
				if err := s.SetDisabled(ctx, "testuser", false); err != nil {
					t.Fatal(err)
				}
				if get(t, s, "testuser").Disabled {
					t.Error("still disabled after SetDisabled(false)")
				}
			}},
		{name: "SetDisabled missing", wantErr: users.ErrNotFound,
			op: func(s *users.MemoryStore) error { return s.SetDisabled(ctx, "nobody", true) }},
		{name: "SetRoles", op: func(s *users.MemoryStore) error { return s.SetRoles(ctx, "carol", []string{"admin"}) },
			check: func(t *testing.T, s *users.MemoryStore) {
				if u := get(t, s, "carol"); !u.HasRole("admin") || u.HasRole("user") {
					t.Errorf("roles after SetRoles = %v", u.Roles)
				}
			}},
		{name: "SetRoles missing", wantErr: users.ErrNotFound,
			op: func(s *users.MemoryStore) error { return s.SetRoles(ctx, "nobody", []string{"admin"}) }},
		{name: "Put replaces", op: func(s *users.MemoryStore) error {
			return s.Put(ctx, users.User{Name: "testuser", PasswordHash: "h7", Roles: []string{"user"}})
		}, check: func(t *testing.T, s *users.MemoryStore) {
			if get(t, s, "testuser").PasswordHash != "h7" {
				t.Error("Put did not replace the user")
			}
		}},
		{name: "List sorted", op: func(*users.MemoryStore) error { return nil },
			check: func(t *testing.T, s *users.MemoryStore) {
				us, err := s.List(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, u := range us {
					names = append(names, u.Name)
				}
				if want := []string{"admin", "carol", "testuser"}; !slices.Equal(names, want) {
					t.Errorf("List names = %v, want %v", names, want)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := seed(t)
			err := tt.op(s)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			// Errors are wrapped with the operation and the name.
			if tt.wantErr != nil && (err == tt.wantErr || !strings.Contains(err.Error(), `"`)) {
				t.Errorf("error %q is not wrapped with context", err)
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

func get(t *testing.T, s *users.MemoryStore, name string) users.User {
	t.Helper()
	u, err := s.Get(context.Background(), name)
	if err != nil {
		t.Fatalf("Get %q: %v", name, err)
	}
	return u
}

// TestRolesAreCopies checks that no caller can change a stored user's roles
// (its authority) by mutating a slice it passed in or got back.
func TestRolesAreCopies(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		mutate func(t *testing.T, s *users.MemoryStore)
	}{
		{"slice passed to Add", func(t *testing.T, s *users.MemoryStore) {
			roles := []string{"user"}
			if err := s.Add(ctx, users.User{Name: "u", Roles: roles}); err != nil {
				t.Fatal(err)
			}
			roles[0] = "admin"
		}},
		{"slice passed to Put", func(t *testing.T, s *users.MemoryStore) {
			roles := []string{"user"}
			if err := s.Put(ctx, users.User{Name: "u", Roles: roles}); err != nil {
				t.Fatal(err)
			}
			roles[0] = "admin"
		}},
		{"slice passed to SetRoles", func(t *testing.T, s *users.MemoryStore) {
			add(t, s)
			roles := []string{"user"}
			if err := s.SetRoles(ctx, "u", roles); err != nil {
				t.Fatal(err)
			}
			roles[0] = "admin"
		}},
		{"slice returned by Get", func(t *testing.T, s *users.MemoryStore) {
			add(t, s)
			get(t, s, "u").Roles[0] = "admin"
		}},
		{"slice returned by List", func(t *testing.T, s *users.MemoryStore) {
			add(t, s)
			us, err := s.List(ctx)
			if err != nil || len(us) != 1 {
				t.Fatalf("List = %v, %v", us, err)
			}
			us[0].Roles[0] = "admin"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := users.NewMemoryStore()
			tt.mutate(t, s)
			if got := get(t, s, "u").Roles; !slices.Equal(got, []string{"user"}) {
				t.Errorf("stored roles = %v, want [user]", got)
			}
			us, err := s.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := us[0].Roles; !slices.Equal(got, []string{"user"}) {
				t.Errorf("listed roles = %v, want [user]", got)
			}
		})
	}
}

func add(t *testing.T, s *users.MemoryStore) {
	t.Helper()
	if err := s.Add(context.Background(), users.User{Name: "u", Roles: []string{"user"}}); err != nil {
		t.Fatal(err)
	}
}

// wantGen turns a generation-returning call into an error when the
// generation is not want.
func wantGen(got int64, err error) func(want int64) error {
	return func(want int64) error {
		if err == nil && got != want {
			return fmt.Errorf("generation %d, want %d", got, want)
		}
		return err
	}
}
