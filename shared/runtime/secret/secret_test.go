package secret_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/secret"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/tooling/admin"
)

const plain = "a-plain-generated-secret-of-sixty-four-characters-0123456789abcd"

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		mode    config.Mode
		wantIDs []string
		wantErr error
	}{
		{"plain secret gets a derived kid", plain, config.Lambda, []string{secret.DerivedKID(plain)}, nil},
		{"key set keeps its order", `{"keys":[{"kid":"b","secret":"` + plain + `"},{"kid":"a","secret":"` + plain + `x"}]}`,
			config.Lambda, []string{"b", "a"}, nil},
		{"short secret refused outside dev", "short", config.Lambda, nil, config.ErrSecretTooShort},
		{"short secret allowed in dev", "short", config.Dev, []string{secret.DerivedKID("short")}, nil},
		{"demo secret refused outside dev", config.DevDemoSecret, config.Lambda, nil, config.ErrDemoSecret},
		{"short key inside a set refused", `{"keys":[{"kid":"a","secret":"short"}]}`, config.Lambda, nil, config.ErrSecretTooShort},
		{"key without kid", `{"keys":[{"secret":"` + plain + `"}]}`, config.Lambda, nil, secret.ErrKeySet},
		{"empty set", `{"keys":[]}`, config.Lambda, nil, secret.ErrKeySet},
		{"broken JSON", `{"keys":`, config.Lambda, nil, secret.ErrKeySet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := secret.Parse(tt.raw, tt.mode)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			var ids []string
			for _, k := range keys {
				ids = append(ids, k.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tt.wantIDs) {
				t.Fatalf("kids = %v, want %v", ids, tt.wantIDs)
			}
		})
	}
	if secret.DerivedKID(plain) == secret.DerivedKID(plain+"x") || strings.Contains(secret.DerivedKID(plain), plain[:8]) {
		t.Fatal("derived kids must differ per secret and not contain it")
	}
}

// startMoto runs moto_server (on the image's python3), the stand-in for
// Secrets Manager, on a free loopback port.
func startMoto(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("moto_server"); err != nil {
		t.Fatalf("moto_server not found (python3 -m pip package moto, on the project image): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	var out bytes.Buffer
	cmd := exec.Command("moto_server", "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if res, err := http.Get(url + "/moto-api/"); err == nil {
			res.Body.Close()
			return url
		}
	}
	t.Fatalf("moto_server did not start: %s", out.String())
	return ""
}

func motoClient(url string) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

// TestRotationLogsNobodyOut plays a rotation the way it happens in AWS: a
// container reads the template's plain generated secret, an operator runs
// `jwtgate keys rotate --secret-id`, a new container signs with the new
// key, and the old container accepts that token after one reload while
// tokens signed before the rotation stay valid everywhere.
func TestRotationLogsNobodyOut(t *testing.T) {
	url := startMoto(t)
	ctx := context.Background()
	sm := motoClient(url)
	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("jwtgate-test"), SecretString: aws.String(plain)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{Mode: config.Lambda, SecretARN: aws.ToString(created.ARN)}
	loader := secret.Loader{Config: cfg, API: sm}
	clock := time.Now()
	newService := func(keys []tokens.Key, reload func() ([]tokens.Key, error)) *tokens.Service {
		s, err := tokens.New(tokens.Options{Keys: keys, Reload: reload, Clock: func() time.Time { return clock }})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	oldKeys, err := loader.Load(ctx)
	if err != nil || len(oldKeys) != 1 || oldKeys[0].ID != secret.DerivedKID(plain) {
		t.Fatalf("initial keys %v, %v", oldKeys, err)
	}
	oldContainer := newService(oldKeys, loader.Reload)
	before, err := oldContainer.Issue(tokens.Access, tokens.Subject{Name: "alice"}, "s1", true)
	if err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	code := admin.Run(ctx, []string{"keys", "rotate", "--secret-id", "jwtgate-test"}, admin.Env{
		Stdout: &stdout, Stderr: &stderr, Now: func() time.Time { return clock },
		NewSecrets: func(context.Context) (admin.SecretsClient, error) { return sm, nil },
	})
	if code != admin.ExitOK {
		t.Fatalf("keys rotate: exit %d: %s", code, stderr.String())
	}
	newKeys, err := loader.Load(ctx)
	if err != nil || len(newKeys) != 2 || newKeys[1].ID != oldKeys[0].ID {
		t.Fatalf("rotated keys %v, %v", newKeys, err)
	}
	newContainer := newService(newKeys, nil)
	after, err := newContainer.Issue(tokens.Access, tokens.Subject{Name: "bob"}, "s2", true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), newKeys[0].ID) {
		t.Fatalf("rotate output %q does not name the new kid %s", stdout.String(), newKeys[0].ID)
	}

	for _, c := range []struct {
		name string
		s    *tokens.Service
		tok  string
	}{
		{"new container, token from before", newContainer, before.Token},
		{"new container, new token", newContainer, after.Token},
		{"old container, new token (reloads once)", oldContainer, after.Token},
		{"old container, token from before", oldContainer, before.Token},
	} {
		if _, err := c.s.Parse(c.tok); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}

	// A forged kid cannot make the old container reload again within the
	// minute: it is refused as unknown without another Secrets Manager call.
	forged := newService([]tokens.Key{{ID: "forged", Secret: []byte(plain)}}, nil)
	tok, _ := forged.Issue(tokens.Access, tokens.Subject{Name: "mallory"}, "s3", true)
	if _, err := oldContainer.Parse(tok.Token); !errors.Is(err, tokens.ErrUnknownKey) {
		t.Fatalf("forged kid: %v, want ErrUnknownKey", err)
	}
}
