package jwtgate

import _ "embed"

// Template is the SAM template (template.yaml) that deploys jwtgate on a REST API:
// the functions, the cookie authorizer, the DynamoDB tables and the signing secret.
//
//go:embed template.yaml
var Template string
