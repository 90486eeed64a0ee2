package rie

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal kills the emulator when the process that started it
// dies without closing the pool (a panic, a test timeout, ^C); its runtime
// then exits too, as its runtime API is gone.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
