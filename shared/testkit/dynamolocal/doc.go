// Package dynamolocal runs Amazon's DynamoDB Local for tests: Launch starts
// the jar (in .tools/dynamodb-local, or $DYNAMODB_LOCAL_DIR; installed there
// with `make tools-dynamodb` when missing, under package provision's lock)
// on a free loopback port with -inMemory -sharedDb, and
// the Server hands out clients and freshly named tables, so many tests can
// share one server and still run in parallel.
//
// Start one server per test binary from TestMain:
//
//	var server *dynamolocal.Server
//
//	func TestMain(m *testing.M) { os.Exit(dynamolocal.Main(m, &server)) }
//
// or one per test with Start(t). A server that cannot start fails the
// test (never skips it), with the reason: make tools-dynamodb's output, or
// Java missing.
package dynamolocal
