// Package metrics reports what jwtgate decides as CloudWatch metrics,
// written as Embedded Metric Format (EMF) lines on stdout: CloudWatch Logs
// extracts the metrics from the function's log, so reporting needs no API
// call, adds no latency and no IAM permission.
//
// Each invocation collects its counts in an Invocation carried by the
// request's context (Start); the code that decides calls Count (a no-op
// without an invocation, so unit tests and tools run unchanged), and Flush
// writes at most one line per invocation. The metric names are constants
// here because the template's alarms and dashboard must name the same
// ones.
package metrics
