// Package admin is jwtgate's administration command line as a library:
// Run creates the DynamoDB tables, manages users (add, passwd, disable,
// enable, roles, list) and writes revocations, talking to DynamoDB (or
// DynamoDB Local with --endpoint) through the dynamostore package.
//
// Passwords are read from the first line of standard input with
// --password-stdin, or from the terminal without echo (asked twice), never
// from a flag, and must pass password.CheckPolicy. Usernames go through
// username.Normalize. Run returns the process exit code: ExitOK,
// ExitFailure, or ExitUsage for a malformed command line.
package admin
