package dynamostore

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Observed returns api with every call's duration (retries included)
// handed to observe, with the call's context: the store latency metric.
func Observed(api ItemAPI, observe func(ctx context.Context, d time.Duration)) ItemAPI {
	return observed{api: api, observe: observe}
}

type observed struct {
	api     ItemAPI
	observe func(context.Context, time.Duration)
}

func (o observed) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	defer o.since(ctx, time.Now())
	return o.api.GetItem(ctx, in, optFns...)
}

func (o observed) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	defer o.since(ctx, time.Now())
	return o.api.PutItem(ctx, in, optFns...)
}

func (o observed) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	defer o.since(ctx, time.Now())
	return o.api.UpdateItem(ctx, in, optFns...)
}

func (o observed) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	defer o.since(ctx, time.Now())
	return o.api.BatchGetItem(ctx, in, optFns...)
}

func (o observed) Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	defer o.since(ctx, time.Now())
	return o.api.Scan(ctx, in, optFns...)
}

func (o observed) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	defer o.since(ctx, time.Now())
	return o.api.Query(ctx, in, optFns...)
}

func (o observed) since(ctx context.Context, start time.Time) { o.observe(ctx, time.Since(start)) }
