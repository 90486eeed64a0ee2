package dynamolocal

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal kills DynamoDB Local when the test binary dies
// without calling Close (a panic, a timeout, ^C).
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
