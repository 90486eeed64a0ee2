package admin

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// errNoPassword is an empty --password-stdin.
var errNoPassword = errors.New("no password on standard input")

// readPassword reads the new password: the first line of stdin with
// fromStdin, else from the terminal without echo, twice.
func readPassword(env Env, fromStdin bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password: %w", err)
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			return "", errNoPassword
		}
		return line, nil
	}
	f, ok := env.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", usagef("standard input is not a terminal: pass the password on stdin with --password-stdin")
	}
	first, err := prompt(env, f, "New password: ")
	if err != nil {
		return "", err
	}
	second, err := prompt(env, f, "Repeat password: ")
	if err != nil {
		return "", err
	}
	if first != second {
		return "", errors.New("the passwords do not match")
	}
	return first, nil
}

func prompt(env Env, f *os.File, msg string) (string, error) {
	fmt.Fprint(env.Stderr, msg)
	pw, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(env.Stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return string(pw), nil
}
