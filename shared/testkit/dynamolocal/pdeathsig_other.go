//go:build !linux

package dynamolocal

import "os/exec"

// setParentDeathSignal does nothing where Pdeathsig does not exist.
func setParentDeathSignal(*exec.Cmd) {}
