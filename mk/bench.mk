# Benchmarks of the hot paths against their baselines (see BENCHMARKS.md). Included
# from the root Makefile; also usable alone: make -f mk/bench.mk bench
#
# bench        builds the benchmark binaries once, runs every benchmark BENCH_COUNT times
#              into .bench/*.txt, prints benchstat's summary and the ratio-to-baseline table.
#              Rounds are interleaved (each round runs every benchmark once) rather than
#              -count=N back to back, so load drift on a shared machine hits a benchmark and
#              its baseline alike. Each benchmark runs in a process of its own, and each round
#              rotates their order: the first benchmark of a process runs on a young heap,
#              which made whichever came first look up to 15% slower. Each result also carries
#              cpu-ns/op (process CPU time per op), which leaves out time spent waiting for a CPU.
# tools-benchstat  installs golang.org/x/perf/cmd/benchstat into .tools/bin when missing.

TOOLS_DIR         ?= $(CURDIR)/.tools
BENCHSTAT         ?= $(TOOLS_DIR)/bin/benchstat
BENCHSTAT_VERSION ?= latest
BENCH_DIR         ?= $(CURDIR)/.bench
BENCH_COUNT       ?= 6
BENCH_TIME        ?= 1s
# argon2id with password.Default costs tens of milliseconds: a fixed count keeps it bounded.
BENCH_LOGIN_TIME  ?= 10x

# sizes        builds every function's bootstrap as `sam build` does (GOARCH, arm64 by default)
#              into .bench/sizes/ and prints their sizes; fails when one is over SIZE_LIMIT bytes
#              (10 MB, issue 6's target): a new import that drags in a megabyte shows here.
SIZE_LIMIT        ?= 10000000
SIZE_FUNCTIONS    ?= AuthorizerFunction LoginFunction RefreshFunction LogoutFunction PasswordFunction ProtectedFunction JwksFunction

.PHONY: bench tools-benchstat sizes

tools-benchstat: $(BENCHSTAT)
	@:

$(BENCHSTAT):
	@echo "installing benchstat ($(BENCHSTAT_VERSION)) into $(dir $(BENCHSTAT))"
	GOBIN=$(dir $(BENCHSTAT)) go install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)

bench: $(BENCHSTAT)
	@mkdir -p $(BENCH_DIR)
	go test -c -o $(BENCH_DIR)/authorizer.test ./shared/runtime/authorizer
	go test -c -o $(BENCH_DIR)/session.test ./shared/runtime/session
	@rm -f $(BENCH_DIR)/authorizer.txt $(BENCH_DIR)/session.txt
	@set -e; \
	az=$$($(BENCH_DIR)/authorizer.test -test.list '^Benchmark'); \
	se=$$($(BENCH_DIR)/session.test -test.list '^Benchmark'); \
	for i in $$(seq $(BENCH_COUNT)); do \
		echo "round $$i/$(BENCH_COUNT)"; \
		for b in $$(echo $$az | awk -v r=$$i '{for (k = 0; k < NF; k++) print $$((k + r) % NF + 1)}'); do \
			(cd shared/runtime/authorizer && $(BENCH_DIR)/authorizer.test -test.run '^$$' -test.bench "^$$b$$" \
				-test.benchmem -test.benchtime $(BENCH_TIME)) >> $(BENCH_DIR)/authorizer.txt; \
		done; \
		for b in $$(echo $$se | awk -v r=$$i '{for (k = 0; k < NF; k++) print $$((k + r) % NF + 1)}'); do \
			t=$(BENCH_TIME); case $$b in *Login*|*Argon2*) t=$(BENCH_LOGIN_TIME);; esac; \
			(cd shared/runtime/session && $(BENCH_DIR)/session.test -test.run '^$$' -test.bench "^$$b$$" \
				-test.benchmem -test.benchtime $$t) >> $(BENCH_DIR)/session.txt; \
		done; \
	done
	@{ echo "machine: $$(nproc) CPUs, $$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $$(go version | cut -d' ' -f3-), load average $$(cut -d' ' -f1-3 /proc/loadavg)"; } | tee $(BENCH_DIR)/machine.txt
	$(BENCHSTAT) $(BENCH_DIR)/authorizer.txt
	$(BENCHSTAT) $(BENCH_DIR)/session.txt
	@awk -f $(CURDIR)/mk/benchratio.awk $(BENCH_DIR)/authorizer.txt $(BENCH_DIR)/session.txt | tee $(BENCH_DIR)/ratios.txt

sizes:
	@set -e; over=0; \
	for f in $(SIZE_FUNCTIONS); do \
		$(MAKE) --no-print-directory -s build-$$f ARTIFACTS_DIR=$(BENCH_DIR)/sizes/$$f; \
		n=$$(stat -c %s $(BENCH_DIR)/sizes/$$f/bootstrap); \
		if [ $$n -gt $(SIZE_LIMIT) ]; then verdict=OVER; over=1; else verdict=ok; fi; \
		printf '%-20s %10d bytes  %s\n' $$f $$n "$$verdict"; \
	done; \
	echo "limit $(SIZE_LIMIT) bytes, GOARCH=$(GOARCH), $$(go version | cut -d' ' -f3)"; \
	exit $$over
