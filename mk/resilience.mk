# Fault injection, load without loss and log hygiene (shared/suites/resilience), all on
# DynamoDB Local through the dev gateway's real HTTP path. Included from the root Makefile.
#
# test-resilience   runs the package (about 25 s); LOAD_DURATION sets the load phase (default 10s).

LOAD_DURATION ?= 10s

.PHONY: test-resilience
test-resilience: tools-dynamodb
	LOAD_DURATION=$(LOAD_DURATION) go test -count=1 -v ./shared/suites/resilience/
