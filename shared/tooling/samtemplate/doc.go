// Package samtemplate is the one reader of the SAM templates that the local
// tools share: the dev gateway takes the API from it (routes, the default
// authorizer, its identity sources, the gateway responses), and the Lambda
// emulator harness and `jwtgate dev` take the functions (runtime, handler,
// code location, build method, environment, timeout, memory).
//
// It reads the template as `sam local` does, without AWS: a !Ref of a
// parameter is its default, a !Ref of a resource is the resource's logical
// ID, conditional values are left out. The list of functions comes from the
// template alone; nothing else in the tree repeats it.
package samtemplate
