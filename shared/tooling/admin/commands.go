package admin

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

func tablesCreate(ctx context.Context, args []string, env Env) error {
	fs, c := newFlags("tables create", env)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if c.stack != "" && c.endpoint == "" {
		return usagef("tables create: a deployed stack has its tables already (CloudFormation made them); tables create is for DynamoDB Local or tables of your own")
	}
	client, err := c.client(ctx, env)
	if err != nil {
		return err
	}
	if err := dynamostore.CreateTables(ctx, client, c.revocationTable, c.usersTable); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "tables %s and %s are ready (TTL on expires_at)\n", c.revocationTable, c.usersTable)
	return nil
}

func userAdd(ctx context.Context, args []string, env Env) error {
	fs, c := newFlags("user add", env)
	var roleFlags stringList
	fs.Var(&roleFlags, "role", "a role (repeatable)")
	rolesCSV := fs.String("roles", "", "comma-separated roles")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	_, name, err := parseUser(fs, args, 1)
	if err != nil {
		return err
	}
	roles, err := parseRoles(append(roleFlags, *rolesCSV)...)
	if err != nil {
		return err
	}
	_, store, _, err := c.stores(ctx, env)
	if err != nil {
		return err
	}
	// Fail on a missing table or a taken name before asking for a password;
	// the conditional Add below still settles a race.
	if _, err := store.Get(ctx, name); err == nil {
		return fmt.Errorf("user %s already exists (use `jwtgate user passwd %s` to change its password)", name, name)
	} else if !errors.Is(err, users.ErrNotFound) {
		return err
	}
	hash, err := hashNew(env, *fromStdin)
	if err != nil {
		return err
	}
	err = store.Add(ctx, users.User{Name: name, PasswordHash: hash, Roles: roles, PasswordChangedAt: env.Now()})
	if errors.Is(err, users.ErrExists) {
		return fmt.Errorf("user %s already exists (use `jwtgate user passwd %s` to change its password)", name, name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "added user %s with roles [%s]\n", name, strings.Join(roles, ","))
	return nil
}

func userPasswd(ctx context.Context, args []string, env Env) error {
	fs, c := newFlags("user passwd", env)
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	_, name, err := parseUser(fs, args, 1)
	if err != nil {
		return err
	}
	_, store, rev, err := c.stores(ctx, env) // a bad setting fails here, before the change

	if err != nil {
		return err
	}
	// Fail before asking for a password the store would refuse.
	if _, err := store.Get(ctx, name); err != nil {
		return notFound(name, err)
	}
	hash, err := hashNew(env, *fromStdin)
	if err != nil {
		return err
	}
	// The change raises the generation with the hash, in one write; the
	// cut-off of the lower generations then kills every token issued with
	// the old password, racing logins included.
	gen, err := store.SetPassword(ctx, name, hash, env.Now())
	if err != nil {
		return notFound(name, err)
	}
	if err := rev.Put(ctx, c.records.UserCutOff(name, gen, env.Now())); err != nil {
		return fmt.Errorf("password of %s changed but its sessions were NOT revoked (run `jwtgate revoke --user %s`): %w", name, name, err)
	}
	fmt.Fprintf(env.Stdout, "changed the password of %s and revoked its sessions\n", name)
	return nil
}

func userSetDisabled(ctx context.Context, args []string, env Env, disabled bool) error {
	verb := map[bool]string{true: "disable", false: "enable"}[disabled]
	fs, c := newFlags("user "+verb, env)
	_, name, err := parseUser(fs, args, 1)
	if err != nil {
		return err
	}
	_, store, rev, err := c.stores(ctx, env)
	if err != nil {
		return err
	}
	if err := store.SetDisabled(ctx, name, disabled); err != nil {
		return notFound(name, err)
	}
	if !disabled {
		fmt.Fprintf(env.Stdout, "enabled user %s\n", name)
		return nil
	}
	// A disabled user's live sessions must end now, not at their next
	// refresh. The generation is raised after the flag, so a login racing
	// the disable either sees the flag or signs a generation now cut.
	if err := c.endSessions(ctx, env, store, rev, name); err != nil {
		return fmt.Errorf("disabled %s but its sessions were NOT revoked (run `jwtgate revoke --user %s`): %w", name, name, err)
	}
	fmt.Fprintf(env.Stdout, "disabled user %s and revoked its sessions\n", name)
	return nil
}

func userRoles(ctx context.Context, args []string, env Env) error {
	fs, c := newFlags("user roles", env)
	pos, name, err := parseUser(fs, args, 2)
	if err != nil {
		return err
	}
	roles, err := parseRoles(pos[1])
	if err != nil {
		return err
	}
	_, store, _, err := c.stores(ctx, env)
	if err != nil {
		return err
	}
	if err := store.SetRoles(ctx, name, roles); err != nil {
		return notFound(name, err)
	}
	fmt.Fprintf(env.Stdout, "set the roles of %s to [%s]\n", name, strings.Join(roles, ","))
	return nil
}

// userClaims shows or edits a user's own claims (users.User.Claims):
// --set K=V adds or replaces one, --unset K removes one; the result must
// pass users.CheckClaims and may not take the configured identity claim
// (JWT_IDENTITY_CLAIM). Sessions see the change at their next refresh.
func userClaims(ctx context.Context, args []string, env Env) error {
	fs, c := newFlags("user claims", env)
	var set, unset stringList
	fs.Var(&set, "set", "K=V: set claim K to V (repeatable)")
	fs.Var(&unset, "unset", "K: remove claim K (repeatable)")
	_, name, err := parseUser(fs, args, 1)
	if err != nil {
		return err
	}
	edits := map[string]string{}
	for _, kv := range set {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usagef("user claims: --set %q: want K=V", kv)
		}
		edits[k] = v
	}
	for _, k := range unset {
		if _, both := edits[k]; both {
			return usagef("user claims: %q is both set and unset", k)
		}
	}
	_, store, _, err := c.stores(ctx, env)
	if err != nil {
		return err
	}
	u, err := store.Get(ctx, name)
	if err != nil {
		return notFound(name, err)
	}
	if len(set) == 0 && len(unset) == 0 {
		printClaims(env, name, u.Claims)
		return nil
	}
	claims := maps.Clone(u.Claims)
	if claims == nil {
		claims = map[string]string{}
	}
	maps.Copy(claims, edits)
	for _, k := range unset {
		delete(claims, k)
	}
	if err := tokens.CheckUserClaims(claims, env.Getenv("JWT_IDENTITY_CLAIM")); err != nil {
		return fmt.Errorf("user claims of %s: %w", name, err)
	}
	if err := store.SetClaims(ctx, name, claims); err != nil {
		return notFound(name, err)
	}
	fmt.Fprintf(env.Stdout, "set the claims of %s (tokens carry them from the next login or refresh):\n", name)
	printClaims(env, name, claims)
	return nil
}

// printClaims lists claims as K=V lines, sorted.
func printClaims(env Env, name string, claims map[string]string) {
	if len(claims) == 0 {
		fmt.Fprintf(env.Stdout, "%s has no claims\n", name)
		return
	}
	for _, k := range slices.Sorted(maps.Keys(claims)) {
		fmt.Fprintf(env.Stdout, "  %s=%s\n", k, claims[k])
	}
}

func userList(ctx context.Context, args []string, env Env) error {
	fs, c := newFlags("user list", env)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	_, store, _, err := c.stores(ctx, env)
	if err != nil {
		return err
	}
	list, err := store.List(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	// HASH shows which imported hashes remain (docs/migrating-from-flask.md):
	// login replaces each with argon2id.
	fmt.Fprintln(w, "NAME\tROLES\tDISABLED\tPASSWORD CHANGED\tHASH")
	for _, u := range list {
		changed := "-"
		if !u.PasswordChangedAt.IsZero() {
			changed = u.PasswordChangedAt.UTC().Format(time.RFC3339)
		}
		roles := strings.Join(u.Roles, ",")
		if roles == "" {
			roles = "-"
		}
		scheme, err := password.Identify(u.PasswordHash)
		if err != nil {
			scheme = "unreadable"
		}
		fmt.Fprintf(w, "%s\t%s\t%t\t%s\t%s\n", u.Name, roles, u.Disabled, changed, scheme)
	}
	return w.Flush()
}

func revoke(ctx context.Context, args []string, env Env) error {
	fs, c := newFlags("revoke", env)
	jti := fs.String("jti", "", "revoke one token by its jti")
	sid := fs.String("session", "", "revoke every token of one session (sid)")
	user := fs.String("user", "", "revoke every token of a user issued until now")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	n := 0
	for _, v := range []string{*jti, *sid, *user} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return usagef("revoke: give exactly one of --jti, --session, --user")
	}
	var name string
	if *user != "" {
		var err error
		if name, err = userName(*user); err != nil {
			return err
		}
	}
	_, us, rev, err := c.stores(ctx, env)
	if err != nil {
		return err
	}
	now := env.Now()
	switch {
	case *jti != "":
		err = putRevocation(ctx, env, rev, c.records.Token(*jti, now), "token "+*jti)
	case *sid != "":
		err = putRevocation(ctx, env, rev, c.records.Session(*sid, now), "session "+*sid)
	default:
		if err = c.endSessions(ctx, env, us, rev, name); err == nil {
			fmt.Fprintf(env.Stdout, "revoked every session of user %s\n", name)
		}
	}
	return notFound(name, err)
}

// putRevocation writes rec and says so.
func putRevocation(ctx context.Context, env Env, rev *dynamostore.Revocations, rec revocation.Record, what string) error {
	if err := rev.Put(ctx, rec); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "revoked %s until %s\n", what, rec.ExpiresAt.UTC().Format(time.RFC3339))
	return nil
}

// notFound words users.ErrNotFound for the command line.
func notFound(name string, err error) error {
	if errors.Is(err, users.ErrNotFound) {
		return fmt.Errorf("user %s does not exist", name)
	}
	return err
}

// parseRoles splits comma-separated role lists into one list, in order,
// without blanks or duplicates.
func parseRoles(lists ...string) ([]string, error) {
	roles := []string{}
	for _, l := range lists {
		for r := range strings.SplitSeq(l, ",") {
			r = strings.TrimSpace(r)
			if r == "" || slices.Contains(roles, r) {
				continue
			}
			if strings.ContainsFunc(r, func(c rune) bool { return c <= ' ' || c == 0x7f }) {
				return nil, usagef("invalid role %q: no spaces or control characters", r)
			}
			roles = append(roles, r)
		}
	}
	return roles, nil
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}
