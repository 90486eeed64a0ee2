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
// twice, none in the table already) and writes only when all are good, so a
// bad file changes nothing.
func userImport(ctx context.Context, args []string, env Env) error {
	fs, c := newFlags("user import", env)
	file := fs.String("file", "", "JSON lines ({\"username\",\"password_hash\",\"roles\",\"claims\"}) or CSV with a header")
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
	_, store, _, err := c.stores(ctx, env)
	if err != nil {
		return err
	}
	for _, l := range lines {
		if len(errs) >= maxImportErrors {
			break
		}
		if _, err := store.Get(ctx, l.user.Name); err == nil {
			errs = append(errs, fmt.Errorf("line %d: user %s already exists", l.line, l.user.Name))
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
		if l.given != "" {
			// Login folds the name as import did, but a token the Flask app
			// minted names the user as it was given: refresh finds no such
			// user, so that user's flask sessions end at their next refresh.
			fmt.Fprintf(env.Stdout, "  line %d: %q is stored as %q (PRECIS); the Flask app's sessions of %q are not taken over\n", l.line, l.given, l.user.Name, l.given)
		}
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
	add := func(n int, name, hash string, roles []string, claims map[string]string) {
		if len(errs) >= maxImportErrors {
			return
		}
		u, cost, err := checkImport(name, hash, roles, claims, identity)
		if err == nil {
			if first, dup := seen[u.Name]; dup {
				err = fmt.Errorf("user %s is on line %d already", u.Name, first)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", n, err))
			return
		}
		seen[u.Name] = n
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
				errs = append(errs, fmt.Errorf("line %d: not a JSON object of username, password_hash, roles, claims (an object of strings): %v", i+1, err))
				continue
			}
			if rec.Username == nil || rec.PasswordHash == nil {
				errs = append(errs, fmt.Errorf("line %d: missing username or password_hash", i+1))
				continue
			}
			add(i+1, *rec.Username, *rec.PasswordHash, rec.Roles, rec.Claims)
		}
		return lines, errs
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, []error{fmt.Errorf("line 1: want a CSV header (username,password_hash[,roles]) or JSON lines: %v", err)}
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	iu, okU := col["username"]
	ih, okH := col["password_hash"]
	ir, okR := col["roles"]
	if !okU || !okH {
		return nil, []error{fmt.Errorf("line 1: the CSV header must name username and password_hash (roles optional), got %q", strings.Join(header, ","))}
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
		add(n, rec[iu], rec[ih], roles, nil)
	}
	return lines, errs
}

// checkImport validates one user: a valid username, a hash Verify can read
// within the cost bounds, valid roles, claims a token may carry (none
// named as identity, the configured identity claim, as `user claims`
// refuses: the token would drop it silently).
func checkImport(name, hash string, roles []string, claims map[string]string, identity string) (users.User, string, error) {
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
	return users.User{Name: n, PasswordHash: hash, Roles: slices.Clip(rs), Claims: claims}, cost, nil
}
