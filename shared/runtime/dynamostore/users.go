package dynamostore

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

// Attribute names of the users table.
const (
	attrName              = "username"
	attrPasswordHash      = "password_hash"
	attrRoles             = "roles"
	attrDisabled          = "disabled"
	attrPasswordChangedAt = "password_changed_at"
	attrGeneration        = "generation"
	attrClaims            = "claims"
	attrIdentity          = "identity" // users.User.Identity; the key of IdentityIndex
)

// IdentityIndex is the users table's sparse global secondary index on
// identity (only users imported with one are in it), projecting the keys
// alone: Identities reads a username from it in one Query, and a function
// granted that Query on the index alone can read no password hash.
const IdentityIndex = "identity"

// Users stores users.User values in one DynamoDB table. It has the methods
// and semantics of users.MemoryStore; names are used as given (normalise
// them with username.Normalize first).
type Users struct {
	api   ItemAPI
	table string
}

// NewUsers returns a store over the table called table.
func NewUsers(api ItemAPI, table string) *Users { return &Users{api: api, table: table} }

// Get returns the user called name (strongly consistent read), or
// users.ErrNotFound.
func (s *Users) Get(ctx context.Context, name string) (users.User, error) {
	res, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            nameKey(name),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return users.User{}, fmt.Errorf("get user %q: %w", name, classify(s.table, err))
	}
	if len(res.Item) == 0 {
		return users.User{}, fmt.Errorf("get user %q: %w", name, users.ErrNotFound)
	}
	u, err := decodeUser(res.Item)
	if err != nil {
		return users.User{}, fmt.Errorf("get user %q: %w", name, err)
	}
	return u, nil
}

// Add creates u, or fails with users.ErrExists (or users.CheckClaims'
// error).
func (s *Users) Add(ctx context.Context, u users.User) error {
	if err := users.CheckClaims(u.Claims); err != nil {
		return fmt.Errorf("add user %q: %w", u.Name, err)
	}
	if err := users.CheckIdentity(u.Identity); err != nil {
		return fmt.Errorf("add user %q: %w", u.Name, err)
	}
	_, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.table),
		Item:                     encodeUser(u),
		ConditionExpression:      aws.String("attribute_not_exists(#n)"),
		ExpressionAttributeNames: map[string]string{"#n": attrName},
	})
	if _, ok := conditionFailed(err); ok {
		return fmt.Errorf("add user %q: %w", u.Name, users.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("add user %q: %w", u.Name, classify(s.table, err))
	}
	return nil
}

// Put creates or replaces u (or fails with users.CheckClaims' error).
func (s *Users) Put(ctx context.Context, u users.User) error {
	if err := users.CheckClaims(u.Claims); err != nil {
		return fmt.Errorf("put user %q: %w", u.Name, err)
	}
	_, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: encodeUser(u)})
	if err != nil {
		return fmt.Errorf("put user %q: %w", u.Name, classify(s.table, err))
	}
	return nil
}

// SetPassword replaces name's hash, records when and raises its
// generation, in one UpdateItem, and returns the new generation; or
// users.ErrNotFound. A login's read of the item sees either the old hash
// with the old generation or the new hash with the new one.
func (s *Users) SetPassword(ctx context.Context, name, hash string, at time.Time) (int64, error) {
	vals := map[string]types.AttributeValue{":h": &types.AttributeValueMemberS{Value: hash}, ":one": number(1), ":zero": number(0)}
	expr := "SET #h = :h, #g = if_not_exists(#g, :zero) + :one REMOVE #t"
	if !at.IsZero() {
		expr = "SET #h = :h, #g = if_not_exists(#g, :zero) + :one, #t = :t"
		vals[":t"] = number(at.UnixNano())
	}
	return s.raise(ctx, "set password of", name, expr,
		map[string]string{"#h": attrPasswordHash, "#t": attrPasswordChangedAt}, vals)
}

// ChangePassword is SetPassword conditional, in the same UpdateItem, on
// what /password checked: the stored hash is still oldHash (the one the old
// password was verified against) and the user is not disabled. A reset or
// a disable that landed in between wins: users.ErrChanged, nothing written.
func (s *Users) ChangePassword(ctx context.Context, name, oldHash, hash string, at time.Time) (int64, error) {
	res, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 nameKey(name),
		UpdateExpression:    aws.String("SET #h = :h, #g = if_not_exists(#g, :zero) + :one, #t = :t"),
		ConditionExpression: aws.String("attribute_exists(#n) AND #h = :old AND (attribute_not_exists(#d) OR #d <> :true)"),
		ExpressionAttributeNames: map[string]string{"#n": attrName, "#h": attrPasswordHash, "#g": attrGeneration,
			"#t": attrPasswordChangedAt, "#d": attrDisabled},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":h": &types.AttributeValueMemberS{Value: hash}, ":old": &types.AttributeValueMemberS{Value: oldHash},
			":one": number(1), ":zero": number(0), ":t": number(at.UnixNano()),
			":true": &types.AttributeValueMemberBOOL{Value: true},
		},
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	if _, ok := conditionFailed(err); ok {
		return 0, fmt.Errorf("change password of %q: %w", name, users.ErrChanged)
	}
	if err != nil {
		return 0, fmt.Errorf("change password of %q: %w", name, classify(s.table, err))
	}
	g, ok, err := readNumber(res.Attributes, attrGeneration)
	if err != nil || !ok {
		return 0, fmt.Errorf("change password of %q: dynamostore: no %s in the update's reply", name, attrGeneration)
	}
	return g, nil
}

// ReplaceHash sets name's hash to hash in one conditional UpdateItem that
// holds only while the stored hash is still old, leaving the generation
// alone: login's upgrade of an imported hash cannot overwrite a password
// change that landed between its read and its write. users.ErrHashChanged
// when the hash is no longer old, users.ErrNotFound when there is no user.
func (s *Users) ReplaceHash(ctx context.Context, name, old, hash string) error {
	_, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      nameKey(name),
		UpdateExpression:         aws.String("SET #h = :h"),
		ConditionExpression:      aws.String("#h = :old"),
		ExpressionAttributeNames: map[string]string{"#h": attrPasswordHash},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":h": &types.AttributeValueMemberS{Value: hash}, ":old": &types.AttributeValueMemberS{Value: old},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if item, ok := conditionFailed(err); ok {
		if len(item) == 0 {
			return fmt.Errorf("replace hash of %q: %w", name, users.ErrNotFound)
		}
		return fmt.Errorf("replace hash of %q: %w", name, users.ErrHashChanged)
	}
	if err != nil {
		return fmt.Errorf("replace hash of %q: %w", name, classify(s.table, err))
	}
	return nil
}

// NewGeneration raises name's generation by one (an atomic counter) and
// returns it, or users.ErrNotFound.
func (s *Users) NewGeneration(ctx context.Context, name string) (int64, error) {
	return s.raise(ctx, "new generation of", name, "SET #g = if_not_exists(#g, :zero) + :one", map[string]string{},
		map[string]types.AttributeValue{":one": number(1), ":zero": number(0)})
}

// raise is update for expressions that raise the generation (#g); it
// returns the generation the update wrote.
func (s *Users) raise(ctx context.Context, op, name, expr string, names map[string]string, vals map[string]types.AttributeValue) (int64, error) {
	names["#g"] = attrGeneration
	res, err := s.updateItem(ctx, name, expr, names, vals, types.ReturnValueUpdatedNew)
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", op, name, s.explain(err))
	}
	g, ok, err := readNumber(res.Attributes, attrGeneration)
	if err != nil || !ok {
		return 0, fmt.Errorf("%s %q: dynamostore: no %s in the update's reply", op, name, attrGeneration)
	}
	return g, nil
}

// SetDisabled sets or clears name's disabled flag, or users.ErrNotFound.
func (s *Users) SetDisabled(ctx context.Context, name string, disabled bool) error {
	return s.update(ctx, "set disabled of", name, "SET #d = :d",
		map[string]string{"#d": attrDisabled},
		map[string]types.AttributeValue{":d": &types.AttributeValueMemberBOOL{Value: disabled}})
}

// SetRoles replaces name's roles, or users.ErrNotFound.
func (s *Users) SetRoles(ctx context.Context, name string, roles []string) error {
	return s.update(ctx, "set roles of", name, "SET #r = :r",
		map[string]string{"#r": attrRoles},
		map[string]types.AttributeValue{":r": encodeRoles(roles)})
}

// SetClaims replaces name's claims, a map of strings on the item (removed
// when claims is empty), or users.ErrNotFound, or users.CheckClaims' error.
func (s *Users) SetClaims(ctx context.Context, name string, claims map[string]string) error {
	if err := users.CheckClaims(claims); err != nil {
		return fmt.Errorf("set claims of %q: %w", name, err)
	}
	if len(claims) == 0 {
		return s.update(ctx, "set claims of", name, "REMOVE #c", map[string]string{"#c": attrClaims}, nil)
	}
	return s.update(ctx, "set claims of", name, "SET #c = :c",
		map[string]string{"#c": attrClaims},
		map[string]types.AttributeValue{":c": encodeClaims(claims)})
}

// update applies expr to an existing user; a missing one is
// users.ErrNotFound (the condition keeps UpdateItem from creating it).
func (s *Users) update(ctx context.Context, op, name, expr string, names map[string]string, vals map[string]types.AttributeValue) error {
	if _, err := s.updateItem(ctx, name, expr, names, vals, types.ReturnValueNone); err != nil {
		return fmt.Errorf("%s %q: %w", op, name, s.explain(err))
	}
	return nil
}

func (s *Users) updateItem(ctx context.Context, name, expr string, names map[string]string, vals map[string]types.AttributeValue, ret types.ReturnValue) (*dynamodb.UpdateItemOutput, error) {
	names["#n"] = attrName
	return s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       nameKey(name),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("attribute_exists(#n)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: vals,
		ReturnValues:              ret,
	})
}

// explain makes the failed condition of updateItem users.ErrNotFound.
func (s *Users) explain(err error) error {
	if _, ok := conditionFailed(err); ok {
		return users.ErrNotFound
	}
	return classify(s.table, err)
}

// List returns every user, sorted by name. It scans the whole table
// (strongly consistent, page by page): meant for the admin CLI, not for a
// request path.
func (s *Users) List(ctx context.Context) ([]users.User, error) {
	var out []users.User
	p := dynamodb.NewScanPaginator(s.api, &dynamodb.ScanInput{
		TableName:      aws.String(s.table),
		ConsistentRead: aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", classify(s.table, err))
		}
		for _, item := range page.Items {
			u, err := decodeUser(item)
			if err != nil {
				return nil, fmt.Errorf("list users: %w", err)
			}
			out = append(out, u)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func nameKey(name string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrName: &types.AttributeValueMemberS{Value: name}}
}

func encodeRoles(roles []string) types.AttributeValue {
	l := make([]types.AttributeValue, len(roles))
	for i, r := range roles {
		l[i] = &types.AttributeValueMemberS{Value: r}
	}
	return &types.AttributeValueMemberL{Value: l}
}

func encodeClaims(claims map[string]string) types.AttributeValue {
	m := make(map[string]types.AttributeValue, len(claims))
	for k, v := range claims {
		m[k] = &types.AttributeValueMemberS{Value: v}
	}
	return &types.AttributeValueMemberM{Value: m}
}

func encodeUser(u users.User) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		attrName:         &types.AttributeValueMemberS{Value: u.Name},
		attrPasswordHash: &types.AttributeValueMemberS{Value: u.PasswordHash},
		attrRoles:        encodeRoles(u.Roles),
		attrDisabled:     &types.AttributeValueMemberBOOL{Value: u.Disabled},
	}
	if !u.PasswordChangedAt.IsZero() {
		item[attrPasswordChangedAt] = number(u.PasswordChangedAt.UnixNano())
	}
	if u.Generation != 0 {
		item[attrGeneration] = number(u.Generation)
	}
	if len(u.Claims) > 0 {
		item[attrClaims] = encodeClaims(u.Claims)
	}
	if u.Identity != "" {
		item[attrIdentity] = &types.AttributeValueMemberS{Value: u.Identity}
	}
	return item
}

func decodeUser(item map[string]types.AttributeValue) (users.User, error) {
	var u users.User
	n, ok := item[attrName].(*types.AttributeValueMemberS)
	if !ok {
		return u, fmt.Errorf("dynamostore: user item without %s", attrName)
	}
	u.Name = n.Value
	if h, ok := item[attrPasswordHash].(*types.AttributeValueMemberS); ok {
		u.PasswordHash = h.Value
	}
	if d, ok := item[attrDisabled].(*types.AttributeValueMemberBOOL); ok {
		u.Disabled = d.Value
	}
	if id, ok := item[attrIdentity].(*types.AttributeValueMemberS); ok {
		u.Identity = id.Value
	}
	switch r := item[attrRoles].(type) {
	case nil:
	case *types.AttributeValueMemberL:
		for _, v := range r.Value {
			s, ok := v.(*types.AttributeValueMemberS)
			if !ok {
				return u, fmt.Errorf("dynamostore: user %q: a role is not a string", u.Name)
			}
			u.Roles = append(u.Roles, s.Value)
		}
	case *types.AttributeValueMemberSS: // written by hand in the console
		u.Roles = append(u.Roles, r.Value...)
	default:
		return u, fmt.Errorf("dynamostore: user %q: roles is neither a list nor a string set", u.Name)
	}
	at, ok, err := readNumber(item, attrPasswordChangedAt)
	if err != nil {
		return u, fmt.Errorf("dynamostore: user %q: %w", u.Name, err)
	}
	if ok {
		u.PasswordChangedAt = time.Unix(0, at)
	}
	if u.Generation, _, err = readNumber(item, attrGeneration); err != nil {
		return u, fmt.Errorf("dynamostore: user %q: %w", u.Name, err)
	}
	switch c := item[attrClaims].(type) {
	case nil:
	case *types.AttributeValueMemberM:
		for k, v := range c.Value {
			s, ok := v.(*types.AttributeValueMemberS)
			if !ok {
				return u, fmt.Errorf("dynamostore: user %q: claim %q is not a string", u.Name, k)
			}
			if u.Claims == nil {
				u.Claims = make(map[string]string, len(c.Value))
			}
			u.Claims[k] = s.Value
		}
	default:
		return u, fmt.Errorf("dynamostore: user %q: claims is not a map", u.Name)
	}
	return u, nil
}
