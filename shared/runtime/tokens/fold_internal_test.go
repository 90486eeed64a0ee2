package tokens

import "testing"

// TestFoldableName: only member names decide whether the payload is
// decoded a second time; values with capitals, escapes or non-ASCII do
// not.
func TestFoldableName(t *testing.T) {
	for _, tc := range []struct {
		json string
		want bool
	}{
		{`{"sub":"testuser","roles":["user"]}`, false},
		{`{"sub":"Alice","tenant":"ACME","roles":["Admin"]}`, false},
		{`{"iss":"https://Example.COM/\u00e9","sub":"Zo\u00eb"}`, false},
		{`{"note":"say \"Sub\": hi","sub":"x"}`, false},
		{`{"sub" : "x" , "name" : "Ünïcode"}`, false},
		{`{"Sub":"admin"}`, true},
		{`{"sub":"x", "TYPE" :"refresh"}`, true},
		{`{"s\u0075b":"admin"}`, true},
		{`{"ſub":"admin"}`, true},
		{`{"x":{"Fresh":true}}`, true}, // nested names too: conservative
		{`{"sub":"x`, false},           // unterminated: json.Unmarshal reports it
	} {
		if got := foldableName([]byte(tc.json)); got != tc.want {
			t.Errorf("foldableName(%s) = %v, want %v", tc.json, got, tc.want)
		}
	}
}
