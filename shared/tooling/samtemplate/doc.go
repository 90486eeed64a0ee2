// Package samtemplate is the one reader of the SAM templates that the local
// tools share: the dev gateway takes the API from it (routes, the default
// authorizer, its identity sources, the gateway responses), and the Lambda
// emulator harness and `jwtgate dev` take the functions (runtime, handler,
// code location, build method, environment, timeout, memory).
//
// It reads the template without AWS, with parameter values (defaults, or
// overrides as `sam deploy --parameter-overrides` gives them, which
// `jwtgate dev` takes from the variables the template binds them to): a
// !Ref of a parameter is its value, a !Ref of a resource is the resource's
// logical ID, and !If, !Sub, !FindInMap, the Conditions and the Rules are
// evaluated, so the gateway follows what that deployment would do. The list of functions comes from the
// template alone; nothing else in the tree repeats it.
package samtemplate
