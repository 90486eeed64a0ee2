package users

import (
	"context"
	"errors"
	"fmt"

	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// Identities finds the user a Flask identity was imported with: the name
// of the user whose Identity is identity (canonical text), or ErrNotFound.
// MemoryStore and dynamostore.Identities (one Query of the users table's
// identity index) have it.
type Identities interface {
	NameOf(ctx context.Context, identity string) (string, error)
}

// CheckIdentity refuses an Identity that is not in canonical form
// (tokens.CanonicalIdentity); empty is none, and fine.
func CheckIdentity(identity string) error {
	if identity == "" {
		return nil
	}
	if c, err := tokens.CanonicalIdentity([]byte(identity)); err != nil || c != identity {
		return fmt.Errorf("users: identity %s: not a JSON string or integer in canonical form", identity)
	}
	return nil
}

// ErrNoIdentities is a legacy identity to map with no lookup configured:
// a wiring error, on which the caller fails closed.
var ErrNoIdentities = errors.New("users: legacy identities are mapped (JWTGATE_LEGACY_IDENTITIES=imported) but no identity lookup is configured")

// MapLegacyIdentity replaces the identity of a legacy token read with
// tokens.Options.MapLegacyIdentities (c.LegacyIdentity) with the username
// it was imported with, in c.Subject; every check after it (revocation,
// user cut-offs, roles) then sees the username. It is the one copy of that
// step for the authorizer and refresh. A claims without LegacyIdentity is
// left alone. An identity of no user is tokens.UnknownIdentity's refusal
// (401 "Error loading the user 42", flask's message); a failed lookup is
// any other error, on which the caller fails closed.
func MapLegacyIdentity(ctx context.Context, c *tokens.Claims, ids Identities) error {
	if c.LegacyIdentity == "" {
		return nil
	}
	if ids == nil {
		return ErrNoIdentities
	}
	name, err := ids.NameOf(ctx, c.LegacyIdentity)
	switch {
	case errors.Is(err, ErrNotFound):
		return tokens.UnknownIdentity(c.LegacyIdentity)
	case err != nil:
		return fmt.Errorf("map legacy identity: %w", err)
	case name == "":
		return fmt.Errorf("map legacy identity %s: %w", c.LegacyIdentity, ErrNotFound) // never a user without a name
	}
	c.Subject = name
	return nil
}
