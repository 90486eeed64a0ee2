package gateway_test

import (
	"testing"

	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/tooling/gateway"
)

// The template's CORS headers on gateway responses are conditional (!If
// HasCors): the local gateway must leave them out rather than send them
// empty, which would override the CORS middleware and make browsers hide
// the 401 a cross-origin front end needs to read to refresh.
func TestConditionalResponseHeadersLeftOut(t *testing.T) {
	api, err := gateway.ParseTemplate([]byte(jwtgate.Template))
	if err != nil {
		t.Fatal(err)
	}
	for kind, r := range api.Responses {
		if v, ok := r.Headers["Access-Control-Allow-Origin"]; ok {
			t.Errorf("%s: Access-Control-Allow-Origin = %q, want it left to the CORS middleware", kind, v)
		}
		if r.Headers["Content-Type"] != "application/json" {
			t.Errorf("%s: Content-Type = %q", kind, r.Headers["Content-Type"])
		}
	}
}
