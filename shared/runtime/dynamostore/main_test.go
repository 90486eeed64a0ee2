package dynamostore_test

import (
	"os"
	"testing"

	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
)

// server is the DynamoDB Local shared by every test of this binary; each
// test makes its own tables on it.
var server *dynamolocal.Server

func TestMain(m *testing.M) { os.Exit(dynamolocal.Main(m, &server)) }
