package dynamostore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
)

// Attribute names of the revocation table.
const (
	attrKey       = "pk"
	attrAt        = "at"
	attrExpiresAt = "expires_at" // the table's TTL attribute
	attrMinGen    = "min_gen"    // a user cut-off's lowest valid generation
	attrConsumed  = "consumed"   // a token record written by rotation
	attrSession   = "sid"        // the session a consumed legacy token opened
)

// Limits of the batched read.
const (
	batchGetMax   = 100 // keys per BatchGetItem, DynamoDB's limit
	batchRetries  = 5   // extra calls for UnprocessedKeys
	batchBackoff  = 20 * time.Millisecond
	writeAttempts = 4 // rounds of a conditional write racing other writers
)

// Revocations stores revocation.Record values in one DynamoDB table. It has
// the methods and semantics of revocation.MemoryStore.
type Revocations struct {
	api   ItemAPI
	table string
	settings
}

// settings are what Options set on a Revocations or a Throttle store.
type settings struct {
	clock   func() time.Time
	timeout time.Duration
}

// Option configures a Revocations or a Throttle store.
type Option func(*settings)

func newSettings(opts []Option) settings {
	s := settings{clock: time.Now}
	for _, o := range opts {
		o(&s)
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	return s
}

// WithClock makes the store read the time from clock (default time.Now);
// it decides which records are still live.
func WithClock(clock func() time.Time) Option {
	return func(s *settings) { s.clock = clock }
}

// WithCallTimeout bounds each call of the store, retries included: past d
// it returns context.DeadlineExceeded, and the caller fails closed instead
// of holding its request (JWTGATE_STORE_TIMEOUT). The bound lives with the
// I/O, so callers of an in-memory store do not pay for a timer.
func WithCallTimeout(d time.Duration) Option {
	return func(s *settings) { s.timeout = d }
}

// bound applies the call timeout, if any, to ctx.
func (s settings) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.timeout)
}

// NewRevocations returns a store over the table called table.
func NewRevocations(api ItemAPI, table string, opts ...Option) *Revocations {
	return &Revocations{api: api, table: table, settings: newSettings(opts)}
}

// Lookup returns the live records among keys. Up to 100 distinct keys take
// one strongly consistent BatchGetItem (plus retries of keys DynamoDB left
// unprocessed); expired items still in the table are left out.
func (s *Revocations) Lookup(ctx context.Context, keys ...string) (map[string]revocation.Record, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	out := make(map[string]revocation.Record, len(keys))
	seen := make(map[string]bool, len(keys))
	var batch []map[string]types.AttributeValue
	for _, k := range keys {
		if seen[k] {
			continue // BatchGetItem refuses duplicate keys
		}
		seen[k] = true
		batch = append(batch, map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: k}})
		if len(batch) == batchGetMax {
			if err := s.batchGet(ctx, batch, out); err != nil {
				return nil, err
			}
			batch = nil
		}
	}
	if len(batch) > 0 {
		if err := s.batchGet(ctx, batch, out); err != nil {
			return nil, err
		}
	}
	now := s.clock()
	for k, r := range out {
		if !r.Live(now) {
			delete(out, k)
		}
	}
	return out, nil
}

// batchGet reads keys into out.
func (s *Revocations) batchGet(ctx context.Context, keys []map[string]types.AttributeValue, out map[string]revocation.Record) error {
	return batchGetItems(ctx, s.api, s.table, keys, func(item map[string]types.AttributeValue) error {
		r, err := decodeRecord(item)
		if err != nil {
			return err
		}
		out[r.Key] = r
		return nil
	})
}

// batchGetItems reads keys (at most 100) of one table; see batchGetTables.
func batchGetItems(ctx context.Context, api ItemAPI, table string, keys []map[string]types.AttributeValue, use func(map[string]types.AttributeValue) error) error {
	return batchGetTables(ctx, api, map[string][]map[string]types.AttributeValue{table: keys},
		func(_ string, item map[string]types.AttributeValue) error { return use(item) })
}

// batchGetTables reads keys of one or more tables (at most 100 in all) with
// one strongly consistent BatchGetItem, retrying unprocessed keys a bounded
// number of times with exponential back-off, and hands each item to use
// with its table.
func batchGetTables(ctx context.Context, api ItemAPI, keys map[string][]map[string]types.AttributeValue, use func(table string, item map[string]types.AttributeValue) error) error {
	req := make(map[string]types.KeysAndAttributes, len(keys))
	tables := make([]string, 0, len(keys))
	n := 0
	for table, ks := range keys {
		req[table] = types.KeysAndAttributes{Keys: ks, ConsistentRead: aws.Bool(true)}
		tables = append(tables, table)
		n += len(ks)
	}
	for attempt := 0; ; attempt++ {
		res, err := api.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return fmt.Errorf("look up %d keys: %w", n, classify(strings.Join(tables, ", "), err))
		}
		for table, items := range res.Responses {
			for _, item := range items {
				if err := use(table, item); err != nil {
					return err
				}
			}
		}
		req = make(map[string]types.KeysAndAttributes, len(res.UnprocessedKeys))
		for table, left := range res.UnprocessedKeys {
			if len(left.Keys) > 0 {
				left.ConsistentRead = aws.Bool(true)
				req[table] = left
			}
		}
		if len(req) == 0 {
			return nil
		}
		if attempt == batchRetries {
			return fmt.Errorf("look up %d keys: %w", n, ErrUnprocessed)
		}
		if err := sleep(ctx, batchBackoff<<attempt); err != nil {
			return fmt.Errorf("look up %d keys: %w", n, err)
		}
	}
}

// Put writes r, replacing any record with the same key unless that one is
// live and lives longer: then it keeps its expiry and takes r's At, as the
// memory store does (a newer user cut-off must not be lost to an older,
// longer one).
func (s *Revocations) Put(ctx context.Context, r revocation.Record) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if r.MinGeneration > 0 {
		return s.putCutOff(ctx, r)
	}
	exp := epochCeil(r.ExpiresAt)
	for range writeAttempts {
		now := s.clock().Unix()
		_, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:           aws.String(s.table),
			Item:                encodeRecord(r),
			ConditionExpression: aws.String("attribute_not_exists(#pk) OR #exp <= :exp OR #exp <= :now"),
			ExpressionAttributeNames: map[string]string{
				"#pk": attrKey, "#exp": attrExpiresAt,
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":exp": number(exp), ":now": number(now),
			},
		})
		if err == nil {
			return nil
		}
		if _, ok := conditionFailed(err); !ok {
			return fmt.Errorf("put revocation %q: %w", r.Key, classify(s.table, err))
		}
		// A live record outlives r: keep its expiry, take r's At.
		upd := &dynamodb.UpdateItemInput{
			TableName:                aws.String(s.table),
			Key:                      map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: r.Key}},
			ConditionExpression:      aws.String("#exp > :exp"),
			ExpressionAttributeNames: map[string]string{"#exp": attrExpiresAt},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":exp": number(exp),
			},
		}
		// The stored record takes r's At and r's kind: a revocation over a
		// consumed token's record drops the mark, so the token is refused
		// even within the reuse grace.
		set, remove := []string{}, []string{}
		if r.At.IsZero() {
			remove = append(remove, "#at")
		} else {
			set = append(set, "#at = :at")
			upd.ExpressionAttributeValues[":at"] = number(r.At.UnixNano())
		}
		upd.ExpressionAttributeNames["#at"] = attrAt
		upd.ExpressionAttributeNames["#c"] = attrConsumed
		if r.Consumed {
			set = append(set, "#c = :c")
			upd.ExpressionAttributeValues[":c"] = &types.AttributeValueMemberBOOL{Value: true}
		} else {
			remove = append(remove, "#c")
		}
		upd.UpdateExpression = aws.String(updateExpression(set, remove))
		_, err = s.api.UpdateItem(ctx, upd)
		if err == nil {
			return nil
		}
		if _, ok := conditionFailed(err); !ok {
			return fmt.Errorf("put revocation %q: %w", r.Key, classify(s.table, err))
		}
		// The longer record vanished between the two calls (TTL): again.
	}
	return fmt.Errorf("put revocation %q: %w", r.Key, ErrContention)
}

// updateExpression joins SET and REMOVE clauses.
func updateExpression(set, remove []string) string {
	var parts []string
	if len(set) > 0 {
		parts = append(parts, "SET "+strings.Join(set, ", "))
	}
	if len(remove) > 0 {
		parts = append(parts, "REMOVE "+strings.Join(remove, ", "))
	}
	return strings.Join(parts, " ")
}

// putCutOff writes the user cut-off r unless the stored one has an equal
// or higher generation: conditional on the generations alone, never on
// the writer's clock, so an older cut-off (a slow machine, a delayed
// request) cannot replace a newer one, live or expired. Either way the
// record ends up with the later of the two expiries: a writer with a slow
// clock does not shorten it either.
func (s *Revocations) putCutOff(ctx context.Context, r revocation.Record) error {
	res, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.table),
		Item:                     encodeRecord(r),
		ConditionExpression:      aws.String("attribute_not_exists(#pk) OR attribute_not_exists(#g) OR #g < :g"),
		ExpressionAttributeNames: map[string]string{"#pk": attrKey, "#g": attrMinGen},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":g": number(r.MinGeneration),
		},
		ReturnValues: types.ReturnValueAllOld,
	})
	exp := epochCeil(r.ExpiresAt)
	if err == nil {
		// Replaced: keep the old record's expiry if it was later.
		old, ok, _ := readNumber(res.Attributes, attrExpiresAt)
		if !ok || old <= exp {
			return nil
		}
		exp = old
	} else if _, ok := conditionFailed(err); !ok {
		return fmt.Errorf("put cut-off %q: %w", r.Key, classify(s.table, err))
	}
	// The record has r's generation or a higher one: lengthen it to exp.
	_, err = s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: r.Key}},
		UpdateExpression:         aws.String("SET #exp = :exp"),
		ConditionExpression:      aws.String("#g >= :g AND #exp < :exp"),
		ExpressionAttributeNames: map[string]string{"#g": attrMinGen, "#exp": attrExpiresAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":g": number(r.MinGeneration), ":exp": number(exp),
		},
	})
	if _, ok := conditionFailed(err); ok || err == nil {
		return nil // the newest cut-off stays, at least as long-lived as both
	}
	return fmt.Errorf("put cut-off %q: %w", r.Key, classify(s.table, err))
}

// Consume writes r only if no live record has its key, in one conditional
// PutItem; the winner gets r as stored (expiry in whole seconds, rounded up)
// and true. The loser of a race gets the winner's record from the failed
// condition itself (ReturnValuesOnConditionCheckFailure ALL_OLD) and false.
func (s *Revocations) Consume(ctx context.Context, r revocation.Record) (revocation.Record, bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	for range writeAttempts {
		_, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:                           aws.String(s.table),
			Item:                                encodeRecord(r),
			ConditionExpression:                 aws.String("attribute_not_exists(#pk) OR #exp <= :now"),
			ExpressionAttributeNames:            map[string]string{"#pk": attrKey, "#exp": attrExpiresAt},
			ExpressionAttributeValues:           map[string]types.AttributeValue{":now": number(s.clock().Unix())},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if err == nil {
			// Return it as stored (expiry rounded up), as a loser sees it.
			w, _ := decodeRecord(encodeRecord(r))
			return w, true, nil
		}
		old, ok := conditionFailed(err)
		if !ok {
			return revocation.Record{}, false, fmt.Errorf("consume %q: %w", r.Key, classify(s.table, err))
		}
		if len(old) == 0 {
			// An endpoint that does not return ALL_OLD: read the winner.
			got, err := s.Lookup(ctx, r.Key)
			if err != nil {
				return revocation.Record{}, false, fmt.Errorf("consume %q: %w", r.Key, err)
			}
			w, ok := got[r.Key]
			if !ok {
				continue // it expired meanwhile: try to take the key again
			}
			return w, false, nil
		}
		w, err := decodeRecord(old)
		if err != nil {
			return revocation.Record{}, false, fmt.Errorf("consume %q: %w", r.Key, err)
		}
		return w, false, nil
	}
	return revocation.Record{}, false, fmt.Errorf("consume %q: %w", r.Key, ErrContention)
}

func encodeRecord(r revocation.Record) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		attrKey:       &types.AttributeValueMemberS{Value: r.Key},
		attrExpiresAt: number(epochCeil(r.ExpiresAt)),
	}
	if !r.At.IsZero() {
		item[attrAt] = number(r.At.UnixNano())
	}
	if r.MinGeneration > 0 {
		item[attrMinGen] = number(r.MinGeneration)
	}
	if r.Consumed {
		item[attrConsumed] = &types.AttributeValueMemberBOOL{Value: true}
	}
	if r.Session != "" {
		item[attrSession] = &types.AttributeValueMemberS{Value: r.Session}
	}
	return item
}

func decodeRecord(item map[string]types.AttributeValue) (revocation.Record, error) {
	var r revocation.Record
	k, ok := item[attrKey].(*types.AttributeValueMemberS)
	if !ok {
		return r, fmt.Errorf("dynamostore: revocation item without %s", attrKey)
	}
	r.Key = k.Value
	exp, ok, err := readNumber(item, attrExpiresAt)
	if err != nil || !ok {
		return r, fmt.Errorf("dynamostore: revocation %q: bad %s", r.Key, attrExpiresAt)
	}
	r.ExpiresAt = time.Unix(exp, 0)
	at, ok, err := readNumber(item, attrAt)
	if err != nil {
		return r, fmt.Errorf("dynamostore: revocation %q: bad %s", r.Key, attrAt)
	}
	if ok {
		r.At = time.Unix(0, at)
	}
	if r.MinGeneration, _, err = readNumber(item, attrMinGen); err != nil {
		return r, fmt.Errorf("dynamostore: revocation %q: bad %s", r.Key, attrMinGen)
	}
	if c, ok := item[attrConsumed].(*types.AttributeValueMemberBOOL); ok {
		r.Consumed = c.Value
	}
	if sid, ok := item[attrSession].(*types.AttributeValueMemberS); ok {
		r.Session = sid.Value
	}
	return r, nil
}

// epochCeil is t in Unix seconds rounded up, so a TTL never ends early.
func epochCeil(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

func number(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// readNumber reads an integer attribute; ok is false when it is absent.
func readNumber(item map[string]types.AttributeValue, name string) (n int64, ok bool, err error) {
	v, present := item[name]
	if !present {
		return 0, false, nil
	}
	num, isNum := v.(*types.AttributeValueMemberN)
	if !isNum {
		return 0, false, fmt.Errorf("dynamostore: %s is not a number", name)
	}
	n, err = strconv.ParseInt(num.Value, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("dynamostore: %s: %w", name, err)
	}
	return n, true, nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
