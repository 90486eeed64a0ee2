# The race detector's pass, the second half of `make test` (alone: make test-race). Included
# from the root Makefile.
#
# Every package of the module runs under -race except RACE_SKIP, so a package that gains
# goroutines or a mutex is raced without anyone adding it here:
#   the root package        template checks (cfn-lint and the SAM translator in python) and
#                           go list: nothing of ours runs concurrently
#   shared/tooling/webapp   the browser tests: Chromium dominates their time, and the Go side they
#                           drive (gateway, handlers, stores) is raced by devserver's end-to-end tests
# The race pass runs after the plain one, not instead of it: -race slows everything several
# times, and the plain pass keeps the real timings (store bounds, 200-client load).
# shared/suites/resilience runs its load test with 20 clients under -race (raceLoadClients).
# Measured on the project's 2-CPU machine shared with other jobs (load average 22-30): the pass
# took 486 s with a warm build cache (no data race found); a cold one about twice that. The plain
# `go test ./...` took 875 s on a fresh clone in the same conditions, tool installs included.

MODULE_PATH := github.com/jwtgate/jwtgate
RACE_SKIP   ?= $(MODULE_PATH) $(MODULE_PATH)/shared/tooling/webapp
# Recursively expanded: go list runs only in the recipe that needs the list, not on every
# `make build-<LogicalId>` of sam build.
RACE_PACKAGES = $(filter-out $(RACE_SKIP),$(shell go list ./...))

# race-pass runs the packages and prints how long it took, to watch CI's 90-minute budget.
define race-pass
@start=$$(date +%s); echo "go test -race $(GO_TEST_FLAGS) <every package but $(RACE_SKIP)>"; \
go test -race $(GO_TEST_FLAGS) $(RACE_PACKAGES); status=$$?; \
echo "race pass: $$(($$(date +%s) - start)) s"; exit $$status
endef

.PHONY: test-race
test-race: tools
	$(race-pass)
