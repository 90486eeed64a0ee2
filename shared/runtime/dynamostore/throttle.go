package dynamostore

import (
	"context"
	"fmt"
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

// Counters returns the live counters among keys (at most 100) in one
// strongly consistent BatchGetItem.
func (s *Throttle) Counters(ctx context.Context, keys ...string) (map[string]throttle.Counter, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	out := map[string]throttle.Counter{}
	batch := make([]map[string]types.AttributeValue, 0, len(keys))
	for _, k := range keys {
		batch = append(batch, map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: k}})
	}
	now := s.clock()
	err := batchGetItems(ctx, s.api, s.table, batch, func(item map[string]types.AttributeValue) error {
		c, err := decodeCounter(item)
		if err != nil {
			return err
		}
		if now.Before(c.ExpiresAt) {
			out[c.Key] = c
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("throttle counters: %w", err)
	}
	return out, nil
}

// Fail adds one failure to key atomically. A counter whose TTL has passed
// (but which DynamoDB has not deleted yet) starts again from one.
func (s *Throttle) Fail(ctx context.Context, key string, now, expiresAt time.Time) (throttle.Counter, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	k := map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: key}}
	vals := map[string]types.AttributeValue{
		":one": number(1), ":zero": number(0), ":now": number(now.UnixNano()),
		":exp": number(epochCeil(expiresAt)), ":nowsec": number(now.Unix()),
	}
	for range writeAttempts {
		out, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(s.table),
			Key:                       k,
			UpdateExpression:          aws.String("SET #f = if_not_exists(#f, :zero) + :one, #l = :now, #e = :exp"),
			ConditionExpression:       aws.String("attribute_not_exists(#e) OR #e > :nowsec"),
			ExpressionAttributeNames:  map[string]string{"#f": attrFailures, "#l": attrLastFailure, "#e": attrExpiresAt},
			ExpressionAttributeValues: vals,
			ReturnValues:              types.ReturnValueAllNew,
		})
		if err == nil {
			return decodeCounter(out.Attributes)
		}
		if _, failed := conditionFailed(err); !failed {
			return throttle.Counter{}, fmt.Errorf("count failure of %s: %w", key, classify(s.table, err))
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
	return throttle.Counter{}, fmt.Errorf("count failure of %s: %w", key, ErrContention)
}

// Reset forgets key's failures by writing an already expired counter (the
// login function may not delete items).
func (s *Throttle) Reset(ctx context.Context, key string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: key},
			attrFailures: number(0), attrExpiresAt: number(s.clock().Unix())},
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
