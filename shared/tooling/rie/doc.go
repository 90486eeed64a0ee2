// Package rie runs the functions' real `bootstrap` binaries under Amazon's
// Lambda Runtime Interface Emulator (aws-lambda-rie, the program inside
// sam local's containers), so the local gateway can invoke exactly what
// Lambda runs: the linux build made by the Makefile's build-<LogicalId>
// targets, the environment the template gives each function, the runtime
// API's JSON encoding and its error shapes.
//
// Build compiles a function the way `sam build` does. A Pool starts one
// emulator per concurrent invoke (an emulator instance crashes when it is
// invoked twice at once), keeps the idle ones warm and grows on demand up to
// a limit; it satisfies gateway.Invoker. Every instance records its init
// duration (the emulator's INIT REPORT) and the peak RSS of its bootstrap
// process, for the cold-start report of `make coldstart`.
//
// The emulator is installed by `make tools-rie` into .tools/bin; the
// package's tests run that target themselves when it is missing.
package rie
