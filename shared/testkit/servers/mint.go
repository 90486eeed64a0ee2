package servers

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Mint is one login on the real flask-jwt-extended, made by
// shared/runtime/tokens/testdata/flask_mint.py (its docstring lists the
// variables Env may set: FLASK_IDENTITY_INT, FLASK_MINT_CLAIMS,
// FLASK_IDENTITY_CLAIM, FLASK_ALGORITHM, ...).
type Mint struct {
	// Secret is the Flask app's JWT_SECRET_KEY.
	Secret string
	// Identity is passed to create_access_token (a string, or an int with
	// FLASK_IDENTITY_INT=1).
	Identity string
	// Env is the script's environment beyond PATH, HOME and LANG (Env).
	Env map[string]string
}

// MintFlask logs in as m says and returns the cookies flask sets, by name;
// it fails t when Debian's flask-jwt-extended cannot run (`make test`
// installs it) or sets no access cookie.
func MintFlask(t testing.TB, m Mint) map[string]string {
	t.Helper()
	_, here, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("servers: no source path for flask_mint.py")
	}
	script := filepath.Join(filepath.Dir(here), "..", "..", "runtime", "tokens", "testdata", "flask_mint.py")
	cmd := exec.Command(Python, script, m.Secret, m.Identity)
	cmd.Env = Env(m.Env)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("flask_mint.py (python3-python-flask-jwt-extended; `make test` installs it): %v", err)
	}
	var jar map[string]string
	if err := json.Unmarshal(out, &jar); err != nil || jar["access_token_cookie"] == "" {
		t.Fatalf("flask_mint.py printed %q (%v)", out, err)
	}
	return jar
}
