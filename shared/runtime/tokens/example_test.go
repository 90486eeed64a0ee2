package tokens_test

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// exampleSecret stands in for the key a deployment reads from Secrets
// Manager (see package secret); never put a real one in code.
var exampleSecret = []byte("example-only-secret-0123456789abcdef")

// sequentialIDs replaces the random uuid4 jti, sid and csrf values, so the
// examples print the same every run.
func sequentialIDs() func() string {
	n := 0
	return func() string { n++; return "id-" + strconv.Itoa(n) }
}

// A login issues an access and a refresh token of one session; the
// authorizer parses the access token and checks its type. The clock and
// the ids are fixed so the output is stable.
func Example() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	svc, err := tokens.New(tokens.Options{
		Keys:  []tokens.Key{{ID: "2026-03", Secret: exampleSecret}},
		Clock: func() time.Time { return now },
		NewID: sequentialIDs(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// Generation is the user's, read with the password hash at login; a
	// password change raises it and cuts off the tokens below it.
	pair, err := svc.IssuePair(tokens.Subject{Name: "testuser", Roles: []string{"user"}, Generation: 3}, "session-1", true)
	if err != nil {
		fmt.Println(err)
		return
	}

	claims, err := svc.Parse(pair.Access.Token)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := tokens.CheckType(claims, tokens.Access); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("sub:", claims.Subject, "roles:", claims.Roles, "type:", claims.Type, "fresh:", claims.Fresh)
	fmt.Println("session:", claims.SID, "generation:", claims.Gen, "jti:", claims.ID, "csrf:", claims.CSRF)
	fmt.Println("expires in:", claims.ExpiresAt.Sub(now))

	// The refresh token of the same session is refused where an access
	// token is wanted.
	refresh, err := svc.Parse(pair.Refresh.Token)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("refresh as access:", errors.Is(tokens.CheckType(refresh, tokens.Access), tokens.ErrWrongType))
	fmt.Println("refresh expires in:", refresh.ExpiresAt.Sub(now), "same session:", refresh.SID == claims.SID)
	// Output:
	// sub: testuser roles: [user] type: access fresh: true
	// session: session-1 generation: 3 jti: id-2 csrf: id-1
	// expires in: 15m0s
	// refresh as access: true
	// refresh expires in: 720h0m0s same session: true
}

// An expired token is refused with ErrExpired, and its claims come back
// with the error, so a caller can compare the CSRF value first, as
// flask-jwt-extended does (a wrong CSRF value wins over expiry).
func Example_expired() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	svc, err := tokens.New(tokens.Options{
		Keys:      []tokens.Key{{Secret: exampleSecret}},
		AccessTTL: 5 * time.Minute,
		Clock:     func() time.Time { return now },
		NewID:     sequentialIDs(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	access, err := svc.Issue(tokens.Access, tokens.Subject{Name: "testuser"}, "session-1", false)
	if err != nil {
		fmt.Println(err)
		return
	}

	now = now.Add(5*time.Minute + time.Second)
	claims, err := svc.Parse(access.Token)
	msg, _ := tokens.Message(err) // what the client is answered, with 401
	fmt.Println("expired:", errors.Is(err, tokens.ErrExpired), msg)
	fmt.Println("claims still read:", claims.Subject, claims.CSRF)

	// A token signed with another key is refused outright.
	other, err := tokens.New(tokens.Options{Keys: []tokens.Key{{Secret: []byte("another-example-secret-0123456789ab")}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	forged, err := other.Issue(tokens.Access, tokens.Subject{Name: "admin"}, "s", true)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = svc.Parse(forged.Token)
	msg, _ = tokens.Message(err)
	fmt.Println("other key:", errors.Is(err, tokens.ErrSignature), msg)
	// Output:
	// expired: true Token has expired
	// claims still read: testuser id-1
	// other key: true Signature verification failed
}

// Key rotation: the new key signs from the moment it is first in the set,
// and tokens signed with the old one verify for as long as it stays.
func ExampleService_ReplaceKeys() {
	old := tokens.Key{ID: "2026-02", Secret: exampleSecret}
	svc, err := tokens.New(tokens.Options{Keys: []tokens.Key{old}})
	if err != nil {
		fmt.Println(err)
		return
	}
	before, err := svc.Issue(tokens.Access, tokens.Subject{Name: "testuser"}, "session-1", false)
	if err != nil {
		fmt.Println(err)
		return
	}

	next := tokens.Key{ID: "2026-03", Secret: []byte("example-only-next-secret-0123456789")}
	if err := svc.ReplaceKeys([]tokens.Key{next, old}); err != nil {
		fmt.Println(err)
		return
	}
	after, err := svc.Issue(tokens.Access, tokens.Subject{Name: "testuser"}, "session-1", false)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, errBefore := svc.Parse(before.Token)
	_, errAfter := svc.Parse(after.Token)
	fmt.Println("old token:", errBefore, "new token:", errAfter)

	// Dropping the old key ends its tokens.
	if err := svc.ReplaceKeys([]tokens.Key{next}); err != nil {
		fmt.Println(err)
		return
	}
	_, errBefore = svc.Parse(before.Token)
	fmt.Println("old key gone:", errors.Is(errBefore, tokens.ErrUnknownKey))
	// Output:
	// old token: <nil> new token: <nil>
	// old key gone: true
}
