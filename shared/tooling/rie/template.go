package rie

import (
	"fmt"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jwtgate/jwtgate/shared/tooling/gateway"
)

// FromTemplate describes every function of a SAM template for a Pool: its
// environment as gateway.ParseTemplate resolves it, its Timeout and
// MemorySize (Globals, then its own), and bootstraps[logicalID] as binary.
// Functions without a bootstrap are left out.
func FromTemplate(template []byte, bootstraps map[string]string) (map[string]Function, error) {
	api, err := gateway.ParseTemplate(template)
	if err != nil {
		return nil, fmt.Errorf("rie: %w", err)
	}
	type props struct {
		Timeout    string `yaml:"Timeout"`
		MemorySize string `yaml:"MemorySize"`
	}
	var doc struct {
		Globals struct {
			Function props `yaml:"Function"`
		} `yaml:"Globals"`
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties props  `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(template, &doc); err != nil {
		return nil, fmt.Errorf("rie: template: %w", err)
	}
	out := map[string]Function{}
	for id, path := range bootstraps {
		res, ok := doc.Resources[id]
		if !ok || res.Type != "AWS::Serverless::Function" {
			continue
		}
		fn := Function{Bootstrap: path, Env: api.Env[id]}
		if s := firstSet(res.Properties.Timeout, doc.Globals.Function.Timeout); s != "" {
			if n, err := strconv.Atoi(s); err == nil {
				fn.Timeout = time.Duration(n) * time.Second
			}
		}
		if s := firstSet(res.Properties.MemorySize, doc.Globals.Function.MemorySize); s != "" {
			fn.MemoryMB, _ = strconv.Atoi(s)
		}
		out[id] = fn
	}
	return out, nil
}

func firstSet(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
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
