package dynamostore

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Sentinel errors of the DynamoDB stores.
var (
	// ErrTableMissing means the table does not exist (DynamoDB's
	// ResourceNotFoundException); `jwtgate tables create` makes it.
	ErrTableMissing = errors.New("dynamostore: table does not exist")
	// ErrContention means a conditional write kept losing to concurrent
	// writers of the same key and gave up after a few attempts.
	ErrContention = errors.New("dynamostore: too much contention")
	// ErrUnprocessed means DynamoDB kept returning unprocessed keys of a
	// batch read (throttling) after the bounded retries.
	ErrUnprocessed = errors.New("dynamostore: batch read not fully processed")
)

// MissingTableError names the table behind an ErrTableMissing.
type MissingTableError struct {
	Table string
	Err   error // the SDK's error
}

// Error says which table is missing.
func (e *MissingTableError) Error() string {
	return fmt.Sprintf("dynamostore: table %q does not exist", e.Table)
}

// Is makes errors.Is(err, ErrTableMissing) true.
func (e *MissingTableError) Is(target error) bool { return target == ErrTableMissing }

// Unwrap returns the SDK's error.
func (e *MissingTableError) Unwrap() error { return e.Err }

// classify turns the SDK's "no such table" into a *MissingTableError and
// leaves every other error alone.
func classify(table string, err error) error {
	var rnf *types.ResourceNotFoundException
	if errors.As(err, &rnf) {
		return &MissingTableError{Table: table, Err: err}
	}
	return err
}

// conditionFailed reports whether err is a failed ConditionExpression, and
// returns the old item DynamoDB sent back with it (ALL_OLD), if any.
func conditionFailed(err error) (map[string]types.AttributeValue, bool) {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ccf.Item, true
	}
	return nil, false
}
