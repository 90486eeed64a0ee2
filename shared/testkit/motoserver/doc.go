// Package motoserver runs moto's server (moto_server, a python3 package on
// the project image) for tests: a local stand-in for the AWS services
// jwtgate's tools and functions call that no other real component covers,
// CloudFormation (a deployed stack's outputs) and Secrets Manager (the
// signing secret). Start(t) launches one on a free loopback port for the
// test and stops it at the end; a missing moto_server fails the test,
// never skips it. SecretsManager is a client of it.
package motoserver
