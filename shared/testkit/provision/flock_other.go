//go:build !unix

package provision

import (
	"errors"
	"os"
)

// errNoFlock: without flock(2) the installs cannot be serialised, and two
// at once could leave a broken tool, so provisioning refuses.
var errNoFlock = errors.New("file locks need a unix system; run `make tools` first")

func tryLock(*os.File) (bool, error) { return false, errNoFlock }

func unlockFile(*os.File) error { return nil }
