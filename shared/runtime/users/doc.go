// Package users holds jwtgate's user records (name, argon2id hash, roles,
// disabled flag, password-change time), the username rules, and an
// in-memory store with the same methods as the DynamoDB one.
package users
