package handlers_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/testkit/fakeclock"
)

// proxyFn is the REST proxy function of a Set, called directly so requests
// can run in parallel (each call builds its own request).
type proxyFn = func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// parallel sends n copies of ev (the i-th built by mk) at once to function
// id and returns the answers as "status body" counts, and the DynamoDB
// operations they made.
func (e rtEnv) parallel(t *testing.T, id string, n int, mk func(i int) events.APIGatewayProxyRequest) (map[string]int, []string) {
	t.Helper()
	fn, err := e.set.REST(id)
	if err != nil {
		t.Fatal(err)
	}
	h := fn.(proxyFn)
	var mu sync.Mutex
	answers := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := h(context.Background(), mk(i))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
			key := fmt.Sprint(resp.StatusCode, " ", resp.Body)
			if resp.StatusCode == 429 && len(resp.MultiValueHeaders["Retry-After"]) != 1 {
				key += " (no Retry-After)"
			}
			answers[key]++
		}()
	}
	close(start)
	wg.Wait()
	return answers, e.counter.take()
}

// hashes counts the requests that reached the password check: each reads
// the user (GetItem users) right before hashing, and only then.
func hashes(ops []string) int {
	return len(slices.DeleteFunc(slices.Clone(ops), func(op string) bool { return op != "GetItem users" }))
}

// slowStore gives each DynamoDB call 10 s: DynamoDB Local on a shared
// two-core machine answers a burst of 80 writes slower than the default
// bound of 1 s, and a timeout would fail closed with 503.
var slowStore = map[string]string{"JWTGATE_STORE_TIMEOUT": "10s"}

const (
	bodyBad    = `{"msg":"Bad username or password"}`
	bodyLocked = `{"msg":"Too many failed login attempts, try again later"}`
)

// TestParallelGuessesLockAtTheLimit is issue 12 item 5 against DynamoDB
// Local through the real login handler: 40 wrong passwords for one user at
// once reach the hash exactly JWTGATE_LOGIN_FAILURES_USER (5) times; the
// other 35 are refused with 429 before any hash. Then the lock holds for
// the right password too.
func TestParallelGuessesLockAtTheLimit(t *testing.T) {
	env := newRTEnvClock(t, slowStore, fakeclock.New(time.Now()).Now)
	answers, ops := env.parallel(t, handlers.LoginFunction, 40, func(int) events.APIGatewayProxyRequest {
		return rtProxy("POST", "/login", nil, nil, "", `{"username":"testuser","password":"guess"}`)
	})
	want := map[string]int{"401 " + bodyBad: 5, "429 " + bodyLocked: 35}
	if fmt.Sprint(answers) != fmt.Sprint(want) || hashes(ops) != 5 {
		t.Fatalf("40 parallel wrong passwords: answers %v with %d password checks; want %v with 5", answers, hashes(ops), want)
	}
	t.Logf("40 parallel guesses: %v, %d password checks", answers, hashes(ops))

	var resp events.APIGatewayProxyResponse
	env.invoke(t, handlers.LoginFunction, rtProxy("POST", "/login", nil, nil, "", `{"username":"testuser","password":"testpass"}`), &resp)
	wantStatus(t, "right password while locked", resp, 429, bodyLocked)
}

// TestParallelSprayLocksAtTheIPLimit: 30 different names from one address
// at once reach the hash JWTGATE_LOGIN_FAILURES_IP (20) times.
func TestParallelSprayLocksAtTheIPLimit(t *testing.T) {
	env := newRTEnvClock(t, slowStore, fakeclock.New(time.Now()).Now)
	answers, ops := env.parallel(t, handlers.LoginFunction, 30, func(i int) events.APIGatewayProxyRequest {
		return rtProxy("POST", "/login", nil, nil, "", fmt.Sprintf(`{"username":"user%d","password":"guess"}`, i))
	})
	want := map[string]int{"401 " + bodyBad: 20, "429 " + bodyLocked: 10}
	if fmt.Sprint(answers) != fmt.Sprint(want) || hashes(ops) != 20 {
		t.Fatalf("30 parallel names from one IP: answers %v with %d password checks; want %v with 20", answers, hashes(ops), want)
	}
}

// TestPasswordGuessesCountTowardLockout is issue 12 item 6: wrong old
// passwords at /password count toward the user's login lockout, in
// parallel too, and a locked-out user gets 429 there and at /login.
func TestPasswordGuessesCountTowardLockout(t *testing.T) {
	env := newRTEnvClock(t, slowStore, fakeclock.New(time.Now()).Now)
	var resp events.APIGatewayProxyResponse
	env.invoke(t, handlers.LoginFunction, rtProxy("POST", "/login", nil, nil, "", `{"username":"testuser","password":"testpass"}`), &resp)
	wantStatus(t, "login", resp, 200, `{"login":true}`)
	jar := rtJar(t, resp)
	ar := authorizeFor(t, env, jar)

	guess := func(old string) events.APIGatewayProxyRequest {
		return withAuthorizer(rtProxy("POST", "/password", jar, []string{"access_token_cookie"}, jar["csrf_access_token"],
			`{"old_password":"`+old+`","new_password":"a much longer passphrase 42"}`), ar)
	}
	answers, ops := env.parallel(t, handlers.PasswordFunction, 20, func(int) events.APIGatewayProxyRequest { return guess("guess") })
	want := map[string]int{`403 {"msg":"Old password is incorrect"}`: 5, "429 " + bodyLocked: 15}
	if fmt.Sprint(answers) != fmt.Sprint(want) || hashes(ops) != 5 {
		t.Fatalf("20 parallel old-password guesses: answers %v with %d password checks; want %v with 5", answers, hashes(ops), want)
	}
	// Locked out: the right old password gets 429 at /password, and the
	// right password gets 429 at /login.
	env.invoke(t, handlers.PasswordFunction, guess("testpass"), &resp)
	wantStatus(t, "right old password while locked", resp, 429, bodyLocked)
	if ra := resp.MultiValueHeaders["Retry-After"]; len(ra) != 1 || ra[0] == "0" {
		t.Errorf("Retry-After %v, want one positive value", ra)
	}
	env.invoke(t, handlers.LoginFunction, rtProxy("POST", "/login", nil, nil, "", `{"username":"testuser","password":"testpass"}`), &resp)
	wantStatus(t, "login after old-password guesses", resp, 429, bodyLocked)
}
