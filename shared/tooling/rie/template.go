package rie

import (
	"fmt"

	"github.com/jwtgate/jwtgate/shared/tooling/samtemplate"
)

// FromTemplate describes every function of a SAM template that has a
// bootstrap in bootstraps (logical ID to binary) for a Pool: its
// environment, Timeout and MemorySize as samtemplate resolves them.
// Functions without a bootstrap are left out; Prepare also covers the
// functions of other runtimes.
func FromTemplate(template []byte, bootstraps map[string]string) (map[string]Function, error) {
	tmpl, err := samtemplate.Parse(template)
	if err != nil {
		return nil, fmt.Errorf("rie: %w", err)
	}
	out := map[string]Function{}
	for id, path := range bootstraps {
		if fn, ok := tmpl.Functions[id]; ok {
			out[id] = Function{Bootstrap: path, Env: fn.Env, Timeout: fn.Timeout, MemoryMB: fn.MemoryMB}
		}
	}
	return out, nil
}

// LocalEnv is the override set for functions talking to DynamoDB Local:
// the endpoint, the two tables, the signing key (so no Secrets Manager
// call) and dummy credentials, which DynamoDB Local needs to sign requests
// but never checks. Cookies lose Secure, as env.json does for sam local,
// because the local gateway serves plain http.
func LocalEnv(endpoint, revocationTable, usersTable, secretKey string) map[string]string {
	return map[string]string{
		"DYNAMODB_ENDPOINT":     endpoint,
		"REVOCATION_TABLE":      revocationTable,
		"USERS_TABLE":           usersTable,
		"JWT_SECRET_KEY":        secretKey,
		"AWS_ACCESS_KEY_ID":     "dummy",
		"AWS_SECRET_ACCESS_KEY": "dummy",
		"JWT_COOKIE_SECURE":     "false",
	}
}
