package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/jwtgate/jwtgate/shared/runtime/logging"
)

// lines decodes every JSON line of buf; a line that is not JSON fails.
func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func TestLevels(t *testing.T) {
	tests := []struct {
		level string
		want  []string // messages written, in order
	}{
		{"debug", []string{"d", "i", "w", "e"}},
		{"DEBUG", []string{"d", "i", "w", "e"}},
		{"info", []string{"i", "w", "e"}},
		{"", []string{"i", "w", "e"}},
		{"verbose", []string{"i", "w", "e"}},
		{"warn", []string{"w", "e"}},
		{"error", []string{"e"}},
	}
	for _, tt := range tests {
		t.Run("level "+tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			log := logging.New(&buf, tt.level)
			log.Debug("d")
			log.Info("i")
			log.Warn("w")
			log.Error("e")
			var got []string
			for _, m := range lines(t, &buf) {
				msg, _ := m["msg"].(string)
				got = append(got, msg)
				if _, ok := m["level"]; !ok {
					t.Errorf("line %v has no level", m)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("logged %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	lambdaCtx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "r1"})
	tests := []struct {
		name   string
		ctx    context.Context
		log    func(ctx context.Context, buf *bytes.Buffer)
		wantID any // nil: no request_id key
		check  func(t *testing.T, m map[string]any)
	}{
		{name: "lambda context", ctx: lambdaCtx, wantID: "r1", log: func(ctx context.Context, buf *bytes.Buffer) {
			logging.New(buf, "info").InfoContext(ctx, "hello")
		}},
		{name: "no lambda context", ctx: context.Background(), log: func(ctx context.Context, buf *bytes.Buffer) {
			logging.New(buf, "info").InfoContext(ctx, "hello")
		}},
		{name: "empty request id", ctx: lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{}),
			log: func(ctx context.Context, buf *bytes.Buffer) {
				logging.New(buf, "info").InfoContext(ctx, "hello")
			}},
		{name: "WithAttrs", ctx: lambdaCtx, wantID: "r1", log: func(ctx context.Context, buf *bytes.Buffer) {
			logging.New(buf, "info").With("fn", "login").InfoContext(ctx, "hello")
		}, check: func(t *testing.T, m map[string]any) {
			if m["fn"] != "login" {
				t.Errorf("fn = %v, want login", m["fn"])
			}
		}},
		{name: "WithGroup", ctx: lambdaCtx, log: func(ctx context.Context, buf *bytes.Buffer) {
			logging.New(buf, "info").WithGroup("g").InfoContext(ctx, "hello", "k", "v")
		}, check: func(t *testing.T, m map[string]any) {
			// Inside a group, the request id is the group's attribute.
			g, _ := m["g"].(map[string]any)
			if g["request_id"] != "r1" || g["k"] != "v" {
				t.Errorf("group g = %v, want request_id r1 and k v", g)
			}
		}},
		{name: "WithAttrs then WithGroup", ctx: lambdaCtx, log: func(ctx context.Context, buf *bytes.Buffer) {
			logging.New(buf, "info").With("fn", "login").WithGroup("g").InfoContext(ctx, "hello")
		}, check: func(t *testing.T, m map[string]any) {
			g, _ := m["g"].(map[string]any)
			if m["fn"] != "login" || g["request_id"] != "r1" {
				t.Errorf("record %v: want fn login and g.request_id r1", m)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(tt.ctx, &buf)
			ls := lines(t, &buf)
			if len(ls) != 1 {
				t.Fatalf("got %d lines, want 1: %s", len(ls), buf.String())
			}
			m := ls[0]
			if m["msg"] != "hello" {
				t.Errorf("msg = %v, want hello", m["msg"])
			}
			if id, ok := m["request_id"]; id != tt.wantID || (tt.wantID == nil && ok) {
				t.Errorf("request_id = %v (present %v), want %v", id, ok, tt.wantID)
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}

func TestNames(t *testing.T) {
	a := logging.NewNames([]byte("0123456789abcdef0123456789abcdef"))
	b := logging.NewNames([]byte("another key, another process...."))
	const typo = `hunter2 "secret"` // a password typed as a username
	if a.Tag(typo) != a.Tag(typo) || len(a.Tag(typo)) != 16 {
		t.Errorf("Tag is not a stable 16-hex-digit value: %q", a.Tag(typo))
	}
	if a.Tag(typo) == b.Tag(typo) || a.Tag(typo) == a.Tag("alice") {
		t.Error("tags do not depend on both key and name")
	}
	if p, q := logging.NewProcessNames(), logging.NewProcessNames(); p.Tag(typo) == q.Tag(typo) {
		t.Error("two process keys give the same tag")
	}
	tests := []struct {
		name string
		err  error
	}{
		{"quoted", fmt.Errorf("get user %q: %w", typo, errors.New("timeout"))},
		{"bare", fmt.Errorf("reserve attempt on thr#user#%s: %w", typo, errors.New("timeout"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := a.Redact(tt.err, typo)
			if strings.Contains(got, "hunter2") || !strings.Contains(got, a.Tag(typo)) || !strings.HasSuffix(got, ": timeout") {
				t.Errorf("Redact = %q: the name is still there, or the tag or the cause is missing", got)
			}
		})
	}
}
