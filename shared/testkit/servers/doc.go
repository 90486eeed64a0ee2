// Package servers starts, for tests, the processes the suites compare and
// drive: the `jwtgate dev` command a user runs, built once per test
// process, and Python apps (the flask-jwt-extended reference app
// bench/flaskref/app.py, the interop suite's app) under Debian's
// /usr/bin/python3, the interpreter that has flask-jwt-extended.
//
// Each server gets exactly the environment its test names, plus PATH, HOME
// and LANG: nothing of the test runner's JWT_* or JWTGATE_* settings leaks
// in, so what a suite sees is what its configuration says. A server
// listens on 127.0.0.1 at a port the kernel chooses: jwtgate dev with
// --addr 127.0.0.1:0, reporting its address in its banner line; a Python
// app on a listening socket this process opens and the child inherits
// (--fd 3), so no other process can take the port between choosing and
// binding it. Output (stdout and stderr) is kept for failure messages, and
// Stop ends a server as Ctrl-C does, killing it only when it does not exit
// within StopDelay.
//
// Every start has two forms, as dynamolocal's Launch and Start: Launch*
// takes a context and returns an error, for TestMain and for servers
// started in goroutines (which may not call t.Fatal); Start* takes a
// testing.TB, fails the test on error and stops the server when the test
// ends.
package servers
