// Package motoserver starts moto_server, the local stand-in for AWS Secrets
// Manager (python3 -m pip package moto, on the project image), for tests
// that read or rotate the signing secret. A test that cannot start it fails,
// never skips.
package motoserver
