package motoserver

import (
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/testkit/capture"
)

// startTimeout bounds moto_server's start (python imports, about 2 s).
const startTimeout = 30 * time.Second

// Start runs moto_server until the test ends and returns its URL, which
// every service answers on (AWS_ENDPOINT_URL).
func Start(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Fatalf("motoserver: moto_server not found (the python3 package moto, on the project image): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	out := &capture.Buffer{}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("motoserver: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(startTimeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if res, err := client.Get(url + "/moto-api/"); err == nil {
			res.Body.Close()
			return url
		}
	}
	t.Fatalf("motoserver: moto_server did not answer on %s within %s:\n%s", url, startTimeout, out.String())
	return ""
}
