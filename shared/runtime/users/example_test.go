package users_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

// accounts is what a function of your own needs of a user store, declared
// where it is used. Both stores provide it: users.MemoryStore here, and in
// Lambda dynamostore.NewUsers(client, table) on the users table.
type accounts interface {
	Get(ctx context.Context, name string) (users.User, error)
}

var (
	_ accounts = (*users.MemoryStore)(nil)
	_ accounts = (*dynamostore.Users)(nil)
)

// canLogIn is the shape of a login check over any store: a missing user and
// a wrong password give the same answer, and a missing user costs the same
// argon2id work (password.VerifyDummy), so neither the answer nor its
// timing tells which accounts exist.
func canLogIn(ctx context.Context, store accounts, name, pw string) (bool, error) {
	u, err := store.Get(ctx, name)
	if errors.Is(err, users.ErrNotFound) {
		_ = password.VerifyDummy(pw)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("login %q: %w", name, err) // fail closed
	}
	if u.Disabled {
		_ = password.VerifyDummy(pw)
		return false, nil
	}
	switch err := password.Verify(u.PasswordHash, pw); {
	case errors.Is(err, password.ErrMismatch):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("login %q: %w", name, err) // an unreadable hash
	}
	return true, nil
}

// Seed a store with an account, then check logins against it; the same
// calls work on the DynamoDB store.
func Example() {
	ctx := context.Background()
	store := users.NewMemoryStore()

	hash, err := password.HashDefault("correct horse battery staple")
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := store.Add(ctx, users.User{Name: "testuser", PasswordHash: hash, Roles: []string{"user"}}); err != nil {
		fmt.Println(err)
		return
	}
	err = store.Add(ctx, users.User{Name: "testuser"})
	fmt.Println("add again:", errors.Is(err, users.ErrExists))

	for _, try := range []struct{ name, pw string }{
		{"testuser", "correct horse battery staple"},
		{"testuser", "wrong"},
		{"nobody", "correct horse battery staple"},
	} {
		ok, err := canLogIn(ctx, store, try.name, try.pw)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s/%s: %v\n", try.name, try.pw, ok)
	}

	// A password change stores the new hash and raises the generation in
	// one write; the session handlers then cut off the tokens below it
	// (revocation.Lifetimes.UserCutOff).
	newHash, err := password.HashDefault("a new and longer passphrase")
	if err != nil {
		fmt.Println(err)
		return
	}
	gen, err := store.SetPassword(ctx, "testuser", newHash, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	old, _ := canLogIn(ctx, store, "testuser", "correct horse battery staple")
	fmt.Println("generation after the change:", gen, "old password:", old)

	// The admin CLI's `jwtgate user disable`.
	if err := store.SetDisabled(ctx, "testuser", true); err != nil {
		fmt.Println(err)
		return
	}
	ok, _ := canLogIn(ctx, store, "testuser", "a new and longer passphrase")
	fmt.Println("disabled:", ok)

	u, err := store.Get(ctx, "testuser")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.Name, u.Roles, "admin:", u.HasRole("admin"), "disabled:", u.Disabled, "generation:", u.Generation)
	// Output:
	// add again: true
	// testuser/correct horse battery staple: true
	// testuser/wrong: false
	// nobody/correct horse battery staple: false
	// generation after the change: 1 old password: false
	// disabled: false
	// testuser [user] admin: false disabled: true generation: 1
}
