package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jwtgate/jwtgate/shared/tooling/gateway"
)

type echo struct {
	Client int    `json:"client"`
	Seq    int    `json:"seq"`
	Pad    string `json:"pad"`
}

// TestInProcessConcurrentAnswers: concurrent invocations of one function
// each get their own answer. aws-lambda-go's Handler.Invoke hands back a
// buffer its next invocation reuses, so one shared handler instance mixed
// answers up (tens in 160,000, seen in `jwtgate dev` as one client's
// refresh returning another's cookies).
func TestInProcessConcurrentAnswers(t *testing.T) {
	inv := gateway.NewInProcess(map[string]any{
		"Echo": func(_ context.Context, in echo) (echo, error) { return in, nil },
	})
	const clients, calls = 8, 4000
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				// Answers of different lengths, so an overwrite shows.
				want := echo{Client: c, Seq: i, Pad: strings.Repeat("x", (c*7+i)%64)}
				in, _ := json.Marshal(want)
				out, err := inv.Invoke(context.Background(), "Echo", in)
				if err != nil {
					errs <- err
					return
				}
				var got echo
				if err := json.Unmarshal(out, &got); err != nil || got != want {
					errs <- fmt.Errorf("client %d call %d: got %q (%v), want %+v", c, i, out, err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestInProcessUnknownFunction(t *testing.T) {
	inv := gateway.NewInProcess(map[string]any{})
	if _, err := inv.Invoke(context.Background(), "Nope", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), `no function "Nope"`) {
		t.Fatalf("Invoke = %v, want no function error", err)
	}
}
