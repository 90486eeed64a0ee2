package secret_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/secret"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

func keyPair(t *testing.T, alg string, at time.Time) secret.KeyEntry {
	t.Helper()
	e, err := secret.NewKeyPair(alg, at)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func kids(set secret.KeySet) string {
	var out []string
	for _, e := range set.Keys {
		out = append(out, e.KID)
	}
	return fmt.Sprint(out)
}

// TestKeyPairSets: key pair entries decode with their algorithm, the public
// set carries no private key nor HMAC secret, and add / promote / retire
// move keys as the runbook needs.
func TestKeyPairSets(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	a, b := keyPair(t, "EdDSA", t0), keyPair(t, "EdDSA", t0.Add(time.Second))
	raw := secret.KeySet{Keys: []secret.KeyEntry{a}}.JSON()
	keys, err := secret.Parse(raw, config.Lambda)
	if err != nil || len(keys) != 1 || keys[0].Algorithm != "EdDSA" || keys[0].Private == nil {
		t.Fatalf("Parse = %+v, %v", keys, err)
	}
	pub, err := secret.PublicSet(append(keys, tokens.Key{ID: "hmac", Secret: []byte(plain)}))
	if err != nil || len(pub.Keys) != 1 || pub.Keys[0].PrivateKey != "" || pub.Keys[0].PublicKey == "" {
		t.Fatalf("PublicSet = %+v, %v; want the one public key", pub, err)
	}
	if _, err := secret.Parse(pub.JSON(), config.Lambda); err != nil {
		t.Fatalf("the public set does not parse: %v", err)
	}

	added, err := secret.Add(raw, b)
	if err != nil || kids(added) != fmt.Sprint([]string{a.KID, b.KID}) {
		t.Fatalf("Add = %s, %v; want the signing key first", kids(added), err)
	}
	promoted, err := secret.Promote(added.JSON(), b.KID)
	if err != nil || kids(promoted) != fmt.Sprint([]string{b.KID, a.KID}) {
		t.Fatalf("Promote = %s, %v", kids(promoted), err)
	}
	retired, err := secret.Retire(promoted.JSON(), a.KID)
	if err != nil || kids(retired) != fmt.Sprint([]string{b.KID}) {
		t.Fatalf("Retire = %s, %v", kids(retired), err)
	}
	for name, err := range map[string]error{
		"retire the signing key": func() error { _, err := secret.Retire(promoted.JSON(), b.KID); return err }(),
		"retire an unknown key":  func() error { _, err := secret.Retire(promoted.JSON(), "nope"); return err }(),
		"promote an unknown key": func() error { _, err := secret.Promote(promoted.JSON(), "nope"); return err }(),
		"add a kid twice":        func() error { _, err := secret.Add(added.JSON(), b); return err }(),
	} {
		if !errors.Is(err, secret.ErrKeySet) {
			t.Errorf("%s: err = %v, want ErrKeySet", name, err)
		}
	}
	t.Run("broken entries", func(t *testing.T) {
		for _, raw := range []string{
			`{"keys":[{"kid":"x","alg":"EdDSA"}]}`,
			`{"keys":[{"kid":"x","alg":"EdDSA","secret":"` + plain + `"}]}`,
			`{"keys":[{"kid":"x","alg":"EdDSA","private_key":"not PEM"}]}`,
			`{"keys":[{"kid":"x","alg":"ES256","private_key":` + fmt.Sprintf("%q", a.PrivateKey) + `}]}`,
		} {
			if _, err := secret.Parse(raw, config.Lambda); err == nil {
				t.Errorf("Parse(%s) accepted", raw)
			}
		}
	})
}

type publicSource string

func (p publicSource) PublicKeys(context.Context) (string, error) { return string(p), nil }

// TestLoadPublic: a verifier's keys have no private half, whether from the
// public set or from a JWT_SECRET_KEY key set; a public set that holds a
// private key is refused rather than handed to a verifier.
func TestLoadPublic(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	a := keyPair(t, "ES256", t0)
	full := secret.KeySet{Keys: []secret.KeyEntry{a}}.JSON()
	keys, _ := secret.Parse(full, config.Lambda)
	pub, _ := secret.PublicSet(keys)
	for name, l := range map[string]secret.Loader{
		"public set":     {Config: config.Config{Mode: config.Lambda}, Public: publicSource(pub.JSON())},
		"JWT_SECRET_KEY": {Config: config.Config{Mode: config.Dev, SecretKey: full}},
	} {
		got, err := l.LoadPublic(context.Background())
		if err != nil || len(got) != 1 || got[0].Private != nil || got[0].Public == nil {
			t.Errorf("%s: LoadPublic = %+v, %v", name, got, err)
		}
	}
	l := secret.Loader{Config: config.Config{Mode: config.Lambda}, Public: publicSource(full)}
	if _, err := l.LoadPublic(context.Background()); !errors.Is(err, secret.ErrKeySet) {
		t.Errorf("a public set holding a private key: err = %v, want ErrKeySet", err)
	}
}
