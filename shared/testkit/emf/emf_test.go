package emf_test

import (
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/testkit/emf"
)

// TestParseRejects: every rule the package claims to check refuses a line
// that breaks it, and a valid line passes.
func TestParseRejects(t *testing.T) {
	const valid = `{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"jwtgate","Dimensions":[["Function"]],"Metrics":[{"Name":"A","Unit":"Count"}]}]},"Function":"login","A":1}`
	if _, err := emf.Parse([]byte(valid)); err != nil {
		t.Fatalf("valid line refused: %v", err)
	}
	tests := []struct{ name, line, want string }{
		{"not json", `{"_aws":`, "not a JSON object"},
		{"no _aws", `{"A":1}`, "no _aws"},
		{"string timestamp", strings.Replace(valid, `1700000000000`, `"1700000000000"`, 1), "Timestamp"},
		{"fractional timestamp", strings.Replace(valid, `1700000000000`, `1.5`, 1), "Timestamp"},
		{"blank namespace", strings.Replace(valid, `"jwtgate"`, `" "`, 1), "Namespace"},
		{"dimension not a root string", strings.Replace(valid, `"Function":"login"`, `"Function":3`, 1), "dimension"},
		{"missing dimension", strings.Replace(valid, `,"Function":"login"`, ``, 1), "dimension"},
		{"bad unit", strings.Replace(valid, `"Count"`, `"Counts"`, 1), "Unit"},
		{"metric not a number", strings.Replace(valid, `"A":1`, `"A":"1"`, 1), "names no root number"},
		{"metric missing", strings.Replace(valid, `,"A":1`, ``, 1), "names no root number"},
		{"storage resolution", strings.Replace(valid, `"Unit":"Count"`, `"Unit":"Count","StorageResolution":5`, 1), "StorageResolution"},
		{"array value not a number", strings.Replace(valid, `"A":1`, `"A":[1,"x"]`, 1), "not a number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := emf.Parse([]byte(tc.line))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse = %v, want an error about %q", err, tc.want)
			}
		})
	}
}
