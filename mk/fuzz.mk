# Fuzz targets, one after another, each for $(FUZZTIME):
#   make fuzz                 # 30s each
#   make fuzz FUZZTIME=5m
# Plain `go test ./...` already runs every seed corpus (testdata/fuzz/<FuzzName>/)
# as a regression test; new crashers the fuzzer finds land there too, to be committed.

FUZZTIME ?= 30s
# package:FuzzName pairs.
FUZZ_TARGETS ?= \
	./shared/authorizer:FuzzDecide \
	./shared/cookies:FuzzFind \
	./shared/session:FuzzLoginBody

.PHONY: fuzz
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz: $$name in $$pkg for $(FUZZTIME)"; \
		go test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) "$$pkg"; \
	done
