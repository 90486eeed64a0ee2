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

	"github.com/jwtgate/jwtgate/shared/runtime/throttle"
)

// Attributes of a login-failure counter; counters live in the revocation
// table under "thr#" keys and share its TTL attribute.
const (
	attrFailures    = "failures"
	attrLastFailure = "last_failure" // Unix nanoseconds
)

// maxLockSteps bounds the terms of the lock condition: a policy whose lock
// still doubles after this many steps is treated as at its Max (with a
// one-second Base that is 2^40 s, far beyond any lockout).
const maxLockSteps = 40

// Throttle stores throttle.Counter values; it satisfies throttle.Store.
type Throttle struct {
	api   ItemAPI
	table string
	settings
}

// NewThrottle returns a counter store over the revocation table.
func NewThrottle(api ItemAPI, table string, opts ...Option) *Throttle {
	return &Throttle{api: api, table: table, settings: newSettings(opts)}
}

// Reserve counts one attempt on key in a single conditional UpdateItem
// whose condition is the policy's lock itself, so the decision and the
// count cannot be split by a concurrent attempt: DynamoDB serialises the
// writes of one item, and each sees the count the previous one left. A
// refused write returns the counter it saw (ALL_OLD), from which the wait
// is computed; a counter past its TTL (not yet deleted by DynamoDB) is
// started again from one with a conditional PutItem.
func (s *Throttle) Reserve(ctx context.Context, key string, p throttle.Policy, now, expiresAt time.Time) (throttle.Counter, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	k := map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: key}}
	names := map[string]string{"#f": attrFailures, "#l": attrLastFailure, "#e": attrExpiresAt}
	vals := map[string]types.AttributeValue{
		":one": number(1), ":zero": number(0), ":now": number(now.UnixNano()),
		":exp": number(epochCeil(expiresAt)), ":nowsec": number(now.Unix()),
	}
	cond := "(attribute_not_exists(#e) OR #e > :nowsec) AND (" + unlockedCondition(p, now, vals) + ")"
	for range writeAttempts {
		out, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                           aws.String(s.table),
			Key:                                 k,
			UpdateExpression:                    aws.String("SET #f = if_not_exists(#f, :zero) + :one, #l = :now, #e = :exp"),
			ConditionExpression:                 aws.String(cond),
			ExpressionAttributeNames:            names,
			ExpressionAttributeValues:           vals,
			ReturnValues:                        types.ReturnValueAllNew,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if err == nil {
			return decodeCounter(out.Attributes)
		}
		old, failed := conditionFailed(err)
		if !failed {
			return throttle.Counter{}, fmt.Errorf("reserve attempt on %s: %w", key, classify(s.table, err))
		}
		c, err := decodeCounter(old)
		if err != nil {
			return throttle.Counter{}, fmt.Errorf("reserve attempt on %s: %w", key, err)
		}
		if now.Before(c.ExpiresAt) {
			if wait := p.RetryAfter(c, now); wait > 0 {
				return c, &throttle.Locked{RetryAfter: wait}
			}
			continue // the item changed between the condition and our reading of it
		}
		// An expired counter is still there: start it again, unless another
		// writer just did.
		item := map[string]types.AttributeValue{attrKey: k[attrKey], attrFailures: number(1),
			attrLastFailure: number(now.UnixNano()), attrExpiresAt: number(epochCeil(expiresAt))}
		_, err = s.api.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(s.table), Item: item,
			ConditionExpression:       aws.String("#e <= :nowsec"),
			ExpressionAttributeNames:  map[string]string{"#e": attrExpiresAt},
			ExpressionAttributeValues: map[string]types.AttributeValue{":nowsec": number(now.Unix())},
		})
		if err == nil {
			return decodeCounter(item)
		}
		if _, failed := conditionFailed(err); !failed {
			return throttle.Counter{}, fmt.Errorf("restart counter %s: %w", key, classify(s.table, err))
		}
	}
	return throttle.Counter{}, fmt.Errorf("reserve attempt on %s: %w", key, ErrContention)
}

// unlockedCondition is p's "not locked at now" as a condition expression
// on #f (failures) and #l (last failure, ns), adding its values to vals:
// below the threshold, or the last failure at least LockFor(failures) ago.
// LockFor doubles per failure up to Max, so it is one term per doubling
// step and a last term for every count at Max.
func unlockedCondition(p throttle.Policy, now time.Time, vals map[string]types.AttributeValue) string {
	if p.Threshold <= 0 {
		return "attribute_not_exists(#f) OR #f >= :zero" // never locked
	}
	vals[":thr"] = number(int64(p.Threshold))
	terms := []string{"attribute_not_exists(#f)", "#f < :thr"}
	for i := 0; ; i++ {
		f := p.Threshold + i
		d := p.LockFor(f)
		fv, lv := ":f"+strconv.Itoa(i), ":l"+strconv.Itoa(i)
		vals[fv], vals[lv] = number(int64(f)), number(now.Add(-d).UnixNano())
		if d >= p.Max || i == maxLockSteps {
			terms = append(terms, "(#f >= "+fv+" AND #l <= "+lv+")")
			break
		}
		terms = append(terms, "(#f = "+fv+" AND #l <= "+lv+")")
	}
	return strings.Join(terms, " OR ")
}

// Release takes back one reserved attempt: a conditional decrement of a
// live, positive count (anything else has nothing to give back).
func (s *Throttle) Release(ctx context.Context, key string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: key}},
		UpdateExpression:         aws.String("SET #f = #f - :one"),
		ConditionExpression:      aws.String("#f > :zero AND #e > :nowsec"),
		ExpressionAttributeNames: map[string]string{"#f": attrFailures, "#e": attrExpiresAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": number(1), ":zero": number(0), ":nowsec": number(s.clock().Unix())},
	})
	if _, failed := conditionFailed(err); err != nil && !failed {
		return fmt.Errorf("release attempt on %s: %w", key, classify(s.table, err))
	}
	return nil
}

// resetLife is how long the zero counter Reset writes stays live: long
// enough that the user's next login reserves with one UpdateItem instead
// of a failed one and a restart, short enough for TTL to clear it soon.
const resetLife = time.Hour

// Reset forgets key's failures by writing a counter of zero (the login
// function may not delete items), live for resetLife.
func (s *Throttle) Reset(ctx context.Context, key string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: key},
			attrFailures: number(0), attrExpiresAt: number(epochCeil(s.clock().Add(resetLife)))},
	})
	if err != nil {
		return fmt.Errorf("reset counter %s: %w", key, classify(s.table, err))
	}
	return nil
}

func decodeCounter(item map[string]types.AttributeValue) (throttle.Counter, error) {
	var c throttle.Counter
	if v, ok := item[attrKey].(*types.AttributeValueMemberS); ok {
		c.Key = v.Value
	}
	f, _, err := readNumber(item, attrFailures)
	if err != nil {
		return c, err
	}
	l, _, err := readNumber(item, attrLastFailure)
	if err != nil {
		return c, err
	}
	e, _, err := readNumber(item, attrExpiresAt)
	if err != nil {
		return c, err
	}
	c.Failures, c.LastFailure, c.ExpiresAt = int(f), time.Unix(0, l), time.Unix(e, 0)
	return c, nil
}
