package admin

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

// maxImportErrors caps how many bad lines one run reports.
const maxImportErrors = 20

// importLine is one user of an import file, with where it came from.
type importLine struct {
	line int
	user users.User
	cost string
	// given is the username as the file has it, when normalisation
	// changed it.
	given string
}

// userImport is `jwtgate user import --file F`: it reads every line, checks
// every one (username, hash readable within the cost bounds, roles, no name
// or Flask identity twice, none in the table already) and writes only when
// all are good, so a bad file changes nothing.
func userImport(ctx context.Context, args []string, env Env) error {
	fs, c := newFlags("user import", env)
	file := fs.String("file", "", "JSON lines ({\"username\",\"password_hash\",\"roles\",\"claims\",\"identity\"}) or CSV with a header")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *file == "" {
		return usagef("user import: --file is required")
	}
	raw, err := os.ReadFile(*file)
	if err != nil {
		return fmt.Errorf("user import: %w", err)
	}
	lines, errs := parseImport(raw, env.Getenv("JWT_IDENTITY_CLAIM"))
	client, store, _, err := c.stores(ctx, env)
	if err != nil {
		return err
	}
	ids := dynamostore.NewIdentities(client, c.usersTable)
	identities := 0
	for _, l := range lines {
		if len(errs) >= maxImportErrors {
			break
		}
		if _, err := store.Get(ctx, l.user.Name); err == nil {
			errs = append(errs, fmt.Errorf("line %d: user %s already exists", l.line, l.user.Name))
		} else if !errors.Is(err, users.ErrNotFound) {
			return err
		}
		if l.user.Identity == "" {
			continue
		}
		identities++
		// One user per identity, or a legacy token could not say whose it is.
		if other, err := ids.NameOf(ctx, l.user.Identity); err == nil {
			errs = append(errs, fmt.Errorf("line %d: identity %s is user %s's already", l.line, l.user.Identity, other))
		} else if !errors.Is(err, users.ErrNotFound) {
			return err
		}
	}
	if len(errs) > 0 {
		if len(errs) >= maxImportErrors {
			errs = append(errs[:maxImportErrors], fmt.Errorf("(stopped after %d errors)", maxImportErrors))
		}
		return fmt.Errorf("user import: %s: nothing imported:\n%w", *file, errors.Join(errs...))
	}
	costs := map[string]int{}
	for i, l := range lines {
		// The checks above make a failure here a race (the name was
		// created meanwhile) or a store failure: say what was written.
		if err := store.Add(ctx, l.user); err != nil {
			return fmt.Errorf("user import: line %d: %w (the %d users before it were imported; remove them from the file to retry)", l.line, err, i)
		}
		costs[l.cost]++
	}
	fmt.Fprintf(env.Stdout, "imported %d users\n", len(lines))
	for _, l := range lines {
		if l.given != "" && l.user.Identity == "" {
			// Login folds the name as import did, but a token the Flask app
			// minted names the user as it was given: refresh finds no such
			// user, so that user's flask sessions end at their next refresh.
			fmt.Fprintf(env.Stdout, "  line %d: %q is stored as %q (PRECIS); the Flask app's sessions of %q are not taken over\n", l.line, l.given, l.user.Name, l.given)
		}
	}
	if identities > 0 {
		// The Flask app's tokens name these users by identity, not by name.
		fmt.Fprintf(env.Stdout, "  %d with an identity: set JWTGATE_LEGACY_IDENTITIES=imported on the authorizer, refresh and logout to take their flask sessions over\n", identities)
	}
	var legacy []string
	for _, cost := range slices.Sorted(maps.Keys(costs)) {
		fmt.Fprintf(env.Stdout, "  %d with %s\n", costs[cost], cost)
		if !strings.HasPrefix(cost, string(password.Argon2id)) && !strings.HasPrefix(cost, string(password.Argon2i)) {
			legacy = append(legacy, cost)
		}
	}
	// The most common cost is the one to match.
	slices.SortStableFunc(legacy, func(a, b string) int { return costs[b] - costs[a] })
	if len(legacy) > 0 {
		// The login function spends this work on every attempt so imported
		// users cannot be told apart by timing (password.Checker).
		fmt.Fprintf(env.Stdout, "set JWTGATE_LEGACY_HASH_COST=%s on the login function until every imported user has logged in once\n", legacy[0])
		if len(legacy) > 1 {
			fmt.Fprintf(env.Stdout, "(several costs were imported: %s; logins of the others take measurably longer or shorter)\n", strings.Join(legacy, ", "))
		}
	}
	return nil
}

// parseImport reads raw as CSV when its first non-blank byte is not "{",
// else as JSON lines, and returns the good lines and an error per bad one
// (line numbers from 1, counting every line of the file). identity is the
// configured identity claim, which no user claim may take.
func parseImport(raw []byte, identity string) ([]importLine, []error) {
	var lines []importLine
	var errs []error
	seen := map[string]int{}
	seenIdentity := map[string]int{}
	add := func(n int, name, hash string, roles []string, claims map[string]string, flaskID []byte) {
		if len(errs) >= maxImportErrors {
			return
		}
		u, cost, err := checkImport(name, hash, roles, claims, identity, flaskID)
		if err == nil {
			if first, dup := seen[u.Name]; dup {
				err = fmt.Errorf("user %s is on line %d already", u.Name, first)
			} else if first, dup := seenIdentity[u.Identity]; dup && u.Identity != "" {
				err = fmt.Errorf("user %s: identity %s is on line %d already", u.Name, u.Identity, first)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", n, err))
			return
		}
		seen[u.Name] = n
		if u.Identity != "" {
			seenIdentity[u.Identity] = n
		}
		l := importLine{line: n, user: u, cost: cost}
		if u.Name != name {
			l.given = name
		}
		lines = append(lines, l)
	}
	trimmed := bytes.TrimLeft(raw, " \t\r\n\ufeff")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		for i, text := range strings.Split(string(raw), "\n") {
			if i == 0 {
				// Editors on Windows write a byte-order mark; the CSV branch
				// drops it too.
				text = strings.TrimPrefix(text, "\ufeff")
			}
			if strings.TrimSpace(text) == "" {
				continue
			}
			var rec struct {
				Username     *string  `json:"username"`
				PasswordHash *string  `json:"password_hash"`
				Roles        []string `json:"roles"`
				// Claims are the user's own claims (users.User.Claims):
				// an object of strings, optional.
				Claims map[string]string `json:"claims"`
				// Identity is what the Flask app passed as identity when
				// not the username: a JSON integer or string, optional.
				Identity json.RawMessage `json:"identity"`
			}
			dec := json.NewDecoder(strings.NewReader(text))
			dec.DisallowUnknownFields()
			err := dec.Decode(&rec)
			if err == nil {
				// Decode stops after the first value: a second object on the
				// line would be dropped without a word.
				if _, next := dec.Token(); !errors.Is(next, io.EOF) {
					err = errors.New("more than one JSON value on the line")
				}
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("line %d: not a JSON object of username, password_hash, roles, claims (an object of strings), identity: %v", i+1, err))
				continue
			}
			if rec.Username == nil || rec.PasswordHash == nil {
				errs = append(errs, fmt.Errorf("line %d: missing username or password_hash", i+1))
				continue
			}
			if bytes.Equal(rec.Identity, []byte("null")) {
				rec.Identity = nil
			}
			add(i+1, *rec.Username, *rec.PasswordHash, rec.Roles, rec.Claims, rec.Identity)
		}
		return lines, errs
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, []error{fmt.Errorf("line 1: want a CSV header (username,password_hash[,roles][,identity]) or JSON lines: %v", err)}
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	iu, okU := col["username"]
	ih, okH := col["password_hash"]
	ir, okR := col["roles"]
	ii, okI := col["identity"]
	if !okU || !okH {
		return nil, []error{fmt.Errorf("line 1: the CSV header must name username and password_hash (roles, identity optional), got %q", strings.Join(header, ","))}
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		n, _ := r.FieldPos(0)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %v", n, err))
			if len(errs) >= maxImportErrors {
				break
			}
			continue
		}
		if len(rec) != len(header) {
			errs = append(errs, fmt.Errorf("line %d: %d fields, the header has %d", n, len(rec), len(header)))
			continue
		}
		var roles []string
		if okR {
			// Roles are comma-separated within their field (quote it).
			roles = strings.Split(rec[ir], ",")
		}
		var flaskID []byte
		if okI && strings.TrimSpace(rec[ii]) != "" {
			// The identity's JSON text: 42, or "u-42" (in CSV quoting,
			// """u-42"""), so 42 and "42" stay apart.
			flaskID = []byte(rec[ii])
		}
		add(n, rec[iu], rec[ih], roles, nil, flaskID)
	}
	return lines, errs
}

// checkImport validates one user: a valid username, a hash Verify can read
// within the cost bounds, valid roles, claims a token may carry (none
// named as identity, the configured identity claim, as `user claims`
// refuses: the token would drop it silently), and flaskID, the Flask
// identity's JSON text when given (an integer or a non-empty string,
// stored in canonical form: tokens.CanonicalIdentity).
func checkImport(name, hash string, roles []string, claims map[string]string, identity string, flaskID []byte) (users.User, string, error) {
	n, err := userName(name)
	if err != nil {
		return users.User{}, "", fmt.Errorf("invalid username %q", name)
	}
	cost, err := password.Cost(hash)
	if err != nil {
		return users.User{}, "", fmt.Errorf("user %s: password_hash: %w", n, err)
	}
	rs, err := parseRoles(roles...)
	if err != nil {
		// %v: a bad line is a bad file (exit 1), not a bad command line.
		return users.User{}, "", fmt.Errorf("user %s: %v", n, err)
	}
	if err := users.CheckClaims(claims); err != nil {
		return users.User{}, "", fmt.Errorf("user %s: %v", n, err)
	}
	if err := tokens.CheckUserClaims(claims, identity); identity != "" && err != nil {
		return users.User{}, "", fmt.Errorf("user %s: claims: %v", n, err)
	}
	if len(claims) == 0 {
		claims = nil
	}
	var id string
	if flaskID != nil {
		if id, err = tokens.CanonicalIdentity(flaskID); err != nil {
			return users.User{}, "", fmt.Errorf("user %s: identity %s: want a JSON integer (42) or a non-empty string (\"u-42\")", n, flaskID)
		}
	}
	return users.User{Name: n, PasswordHash: hash, Roles: slices.Clip(rs), Claims: claims, Identity: id}, cost, nil
}
