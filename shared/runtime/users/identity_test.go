package users_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

// failing is an identity lookup whose store is down.
type failing struct{}

func (failing) NameOf(context.Context, string) (string, error) { return "", errors.New("store down") }

// TestMapLegacyIdentity: a legacy identity becomes the username imported
// with it; an identity of nobody is flask's 401 message; a failed or
// missing lookup is an error that is not a client message (fail closed);
// claims without a legacy identity are left alone.
func TestMapLegacyIdentity(t *testing.T) {
	ctx := context.Background()
	m := users.NewMemoryStore()
	for _, u := range []users.User{{Name: "alice", Identity: "42"}, {Name: "bob", Identity: `"42"`}} {
		if err := m.Add(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Add(ctx, users.User{Name: "carol", Identity: "42"}); !errors.Is(err, users.ErrIdentityTaken) {
		t.Errorf("Add with alice's identity: %v, want ErrIdentityTaken", err)
	}
	if err := m.Add(ctx, users.User{Name: "dave", Identity: "4.2"}); err == nil {
		t.Error("Add with identity 4.2 (not canonical): nil error")
	}
	tests := []struct {
		name, identity, sub string
		ids                 users.Identities
		want                string // Subject after
		msg                 string // client message
		fails               bool   // an error that is not one
	}{
		{name: "integer", identity: "42", ids: m, want: "alice"},
		{name: "string", identity: `"42"`, ids: m, want: "bob"},
		{name: "unknown integer", identity: "7", ids: m, msg: "Error loading the user 7"},
		{name: "unknown string", identity: `"u-7"`, ids: m, msg: "Error loading the user u-7"},
		{name: "store down", identity: "42", ids: failing{}, fails: true},
		{name: "no lookup", identity: "42", fails: true},
		{name: "not legacy", sub: "alice", want: "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &tokens.Claims{LegacyIdentity: tt.identity}
			c.Subject = tt.sub
			err := users.MapLegacyIdentity(ctx, c, tt.ids)
			msg, isMsg := tokens.Message(err)
			switch {
			case tt.msg != "":
				if msg != tt.msg || !errors.Is(err, tokens.ErrUnknownIdentity) || c.Subject != "" {
					t.Errorf("err %v (%q), subject %q; want %q and no subject", err, msg, c.Subject, tt.msg)
				}
			case tt.fails:
				if err == nil || isMsg || c.Subject != "" {
					t.Errorf("err %v (message %v), subject %q; want a failure without a client message", err, isMsg, c.Subject)
				}
			case err != nil || c.Subject != tt.want:
				t.Errorf("err %v, subject %q; want %q", err, c.Subject, tt.want)
			}
		})
	}
}
