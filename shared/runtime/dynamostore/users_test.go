package dynamostore_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

// userStore is the users store's method set; both implementations must pass
// the same contract.
type userStore interface {
	Get(ctx context.Context, name string) (users.User, error)
	Add(ctx context.Context, u users.User) error
	Put(ctx context.Context, u users.User) error
	SetPassword(ctx context.Context, name, hash string, at time.Time) (int64, error)
	NewGeneration(ctx context.Context, name string) (int64, error)
	ReplaceHash(ctx context.Context, name, old, hash string) error
	SetDisabled(ctx context.Context, name string, disabled bool) error
	SetRoles(ctx context.Context, name string, roles []string) error
	SetClaims(ctx context.Context, name string, claims map[string]string) error
	List(ctx context.Context) ([]users.User, error)
}

var (
	_ userStore = (*users.MemoryStore)(nil)
	_ userStore = (*dynamostore.Users)(nil)
)

var userStores = map[string]func(t *testing.T) userStore{
	"memory": func(*testing.T) userStore { return users.NewMemoryStore() },
	"dynamodb": func(t *testing.T) userStore {
		c := server.Client(t)
		_, table := server.CreateTables(t, c)
		return dynamostore.NewUsers(c, table)
	},
}

func TestUserContract(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	changed := time.Date(2026, 3, 4, 5, 6, 7, 891011121, time.UTC)
	alice := users.User{Name: "alice", PasswordHash: "$argon2id$a", Roles: []string{"admin", "reader"}, PasswordChangedAt: changed}
	bob := users.User{Name: "bob", PasswordHash: "$argon2id$b", Disabled: true}
	tests := []struct {
		name string
		run  func(t *testing.T, s userStore)
	}{
		{"get missing", func(t *testing.T, s userStore) {
			if _, err := s.Get(ctx, "nobody"); !errors.Is(err, users.ErrNotFound) {
				t.Fatalf("Get = %v, want ErrNotFound", err)
			}
		}},
		{"add then get", func(t *testing.T, s userStore) {
			mustAdd(t, s, alice)
			mustAdd(t, s, bob)
			wantUser(t, s, alice)
			wantUser(t, s, bob)
		}},
		{"add twice", func(t *testing.T, s userStore) {
			mustAdd(t, s, alice)
			if err := s.Add(ctx, users.User{Name: "alice"}); !errors.Is(err, users.ErrExists) {
				t.Fatalf("second Add = %v, want ErrExists", err)
			}
			wantUser(t, s, alice)
		}},
		{"replace hash only while it is the old one", func(t *testing.T, s userStore) {
			const legacy = "pbkdf2:sha256:260000$salt$00"
			a := alice
			a.PasswordHash, a.Generation = legacy, 3
			mustAdd(t, s, a)
			if err := s.ReplaceHash(ctx, "alice", legacy, "$argon2id$new"); err != nil {
				t.Fatalf("ReplaceHash = %v", err)
			}
			a.PasswordHash = "$argon2id$new" // the generation stays: same password, same sessions
			wantUser(t, s, a)
			// A password change landed in between: the upgrade must not undo it.
			if err := s.ReplaceHash(ctx, "alice", legacy, "$argon2id$stale"); !errors.Is(err, users.ErrHashChanged) {
				t.Fatalf("stale ReplaceHash = %v, want ErrHashChanged", err)
			}
			wantUser(t, s, a)
			if err := s.ReplaceHash(ctx, "nobody", legacy, "$argon2id$x"); !errors.Is(err, users.ErrNotFound) {
				t.Fatalf("ReplaceHash(missing) = %v, want ErrNotFound", err)
			}
			if _, err := s.Get(ctx, "nobody"); !errors.Is(err, users.ErrNotFound) {
				t.Fatalf("ReplaceHash created a user: %v", err)
			}
		}},
		{"put creates and replaces", func(t *testing.T, s userStore) {
			if err := s.Put(ctx, bob); err != nil {
				t.Fatal(err)
			}
			wantUser(t, s, bob)
			b2 := bob
			b2.Roles, b2.Disabled = []string{"x"}, false
			if err := s.Put(ctx, b2); err != nil {
				t.Fatal(err)
			}
			wantUser(t, s, b2)
		}},
		{"set password", func(t *testing.T, s userStore) {
			mustAdd(t, s, bob)
			at := changed.Add(time.Hour)
			if gen, err := s.SetPassword(ctx, "bob", "$argon2id$new", at); err != nil || gen != 1 {
				t.Fatalf("SetPassword = %d, %v; want generation 1", gen, err)
			}
			want := bob
			want.PasswordHash, want.PasswordChangedAt, want.Generation = "$argon2id$new", at, 1
			wantUser(t, s, want)
		}},
		{"generations only rise", func(t *testing.T, s userStore) {
			// A user stored before generations existed has none: 0.
			mustAdd(t, s, alice)
			for want := int64(1); want <= 3; want++ {
				gen, err := s.NewGeneration(ctx, "alice")
				if err != nil || gen != want {
					t.Fatalf("NewGeneration = %d, %v; want %d", gen, err, want)
				}
			}
			gen, err := s.SetPassword(ctx, "alice", "$argon2id$x", changed)
			if err != nil || gen != 4 {
				t.Fatalf("SetPassword after 3 raises = %d, %v; want 4", gen, err)
			}
			want := alice
			want.PasswordHash, want.PasswordChangedAt, want.Generation = "$argon2id$x", changed, 4
			wantUser(t, s, want)
		}},
		{"concurrent raises are all counted", func(t *testing.T, s userStore) {
			mustAdd(t, s, alice)
			const n = 20
			gens := make(chan int64, n)
			var wg sync.WaitGroup
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					gen, err := s.NewGeneration(ctx, "alice")
					if err != nil {
						t.Error(err)
					}
					gens <- gen
				}()
			}
			wg.Wait()
			close(gens)
			seen := map[int64]bool{}
			for g := range gens {
				if seen[g] || g < 1 || g > n {
					t.Fatalf("generation %d handed out twice or out of range", g)
				}
				seen[g] = true
			}
		}},
		{"set disabled", func(t *testing.T, s userStore) {
			mustAdd(t, s, alice)
			if err := s.SetDisabled(ctx, "alice", true); err != nil {
				t.Fatal(err)
			}
			want := alice
			want.Disabled = true
			wantUser(t, s, want)
			if err := s.SetDisabled(ctx, "alice", false); err != nil {
				t.Fatal(err)
			}
			wantUser(t, s, alice)
		}},
		{"set roles", func(t *testing.T, s userStore) {
			mustAdd(t, s, alice)
			for _, roles := range [][]string{{"z", "a"}, nil} {
				if err := s.SetRoles(ctx, "alice", roles); err != nil {
					t.Fatal(err)
				}
				want := alice
				want.Roles = roles
				wantUser(t, s, want)
			}
		}},
		{"claims", func(t *testing.T, s userStore) {
			withClaims := alice
			withClaims.Claims = map[string]string{"tenant": "acme", "https://example.com/plan": "pro"}
			mustAdd(t, s, withClaims)
			wantUser(t, s, withClaims)
			for _, claims := range []map[string]string{{"tenant": "globex"}, {}, nil, {"plan": ""}} {
				if err := s.SetClaims(ctx, "alice", claims); err != nil {
					t.Fatal(err)
				}
				want := alice
				want.Claims = claims
				wantUser(t, s, want)
			}
			// Refused before any write: reserved and oversized claims.
			for _, bad := range []map[string]string{{"sid": "x"}, {"roles": "admin"}, {"t": string(make([]byte, 300))}} {
				if err := s.SetClaims(ctx, "alice", bad); !errors.Is(err, tokens.ErrUserClaim) {
					t.Errorf("SetClaims(%v) = %v, want ErrUserClaim", bad, err)
				}
				u := bob
				u.Name, u.Claims = "carol", bad
				if err := s.Add(ctx, u); !errors.Is(err, tokens.ErrUserClaim) {
					t.Errorf("Add with claims %v = %v, want ErrUserClaim", bad, err)
				}
				if err := s.Put(ctx, u); !errors.Is(err, tokens.ErrUserClaim) {
					t.Errorf("Put with claims %v = %v, want ErrUserClaim", bad, err)
				}
			}
			want := alice
			want.Claims = map[string]string{"plan": ""}
			wantUser(t, s, want)
			if _, err := s.Get(ctx, "carol"); !errors.Is(err, users.ErrNotFound) {
				t.Fatalf("a refused Add or Put wrote the user: %v", err)
			}
		}},
		{"updates of a missing user", func(t *testing.T, s userStore) {
			for name, err := range map[string]error{
				"SetPassword":   second(s.SetPassword(ctx, "ghost", "h", changed)),
				"NewGeneration": second(s.NewGeneration(ctx, "ghost")),
				"SetDisabled":   s.SetDisabled(ctx, "ghost", true),
				"SetRoles":      s.SetRoles(ctx, "ghost", []string{"a"}),
				"SetClaims":     s.SetClaims(ctx, "ghost", map[string]string{"a": "b"}),
			} {
				if !errors.Is(err, users.ErrNotFound) {
					t.Errorf("%s = %v, want ErrNotFound", name, err)
				}
			}
			if _, err := s.Get(ctx, "ghost"); !errors.Is(err, users.ErrNotFound) {
				t.Fatalf("an update created the user: %v", err)
			}
		}},
		{"list sorted", func(t *testing.T, s userStore) {
			got, err := s.List(ctx)
			if err != nil || len(got) != 0 {
				t.Fatalf("empty List = %v, %v", got, err)
			}
			mustAdd(t, s, bob)
			mustAdd(t, s, alice)
			got, err = s.List(ctx)
			if err != nil || len(got) != 2 || !sameUser(got[0], alice) || !sameUser(got[1], bob) {
				t.Fatalf("List = %+v, %v", got, err)
			}
		}},
	}
	for impl, newStore := range userStores {
		t.Run(impl, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					tt.run(t, newStore(t))
				})
			}
		})
	}
}

func mustAdd(t *testing.T, s userStore, u users.User) {
	t.Helper()
	if err := s.Add(context.Background(), u); err != nil {
		t.Fatalf("Add(%q): %v", u.Name, err)
	}
}

func wantUser(t *testing.T, s userStore, want users.User) {
	t.Helper()
	got, err := s.Get(context.Background(), want.Name)
	if err != nil {
		t.Fatalf("Get(%q): %v", want.Name, err)
	}
	if !sameUser(got, want) {
		t.Fatalf("Get(%q) = %+v, want %+v", want.Name, got, want)
	}
}

// sameUser compares users, treating nil and empty roles alike.
func sameUser(a, b users.User) bool {
	return a.Name == b.Name && a.PasswordHash == b.PasswordHash && a.Disabled == b.Disabled &&
		a.PasswordChangedAt.Equal(b.PasswordChangedAt) && a.Generation == b.Generation &&
		slices.Equal(a.Roles, b.Roles) && (len(a.Roles) == 0) == (len(b.Roles) == 0) &&
		maps.Equal(a.Claims, b.Claims)
}

// second is the error of a call that also returns a value.
func second[T any](_ T, err error) error { return err }
