# Fuzz targets, one after another, each for $(FUZZTIME):
#   make fuzz                 # 30s each
#   make fuzz FUZZTIME=5m
# Plain `go test ./...` already runs every seed corpus (testdata/fuzz/<FuzzName>/)
# as a regression test; new crashers the fuzzer finds land there too, to be committed.

FUZZTIME ?= 30s
# package:FuzzName pairs.
FUZZ_TARGETS ?= \
	./shared/runtime/authorizer:FuzzDecide \
	./shared/runtime/request:FuzzFind \
	./shared/runtime/request:FuzzCookieValue \
	./shared/runtime/session:FuzzLoginBody

.PHONY: fuzz
# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline exceeded" when
# -fuzztime ends while a worker is mid-input (golang/go#75804, fixed in Go 1.27). A failure
# counts only when it wrote a reproducer under testdata/fuzz/<FuzzName>/ or is anything else.
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; dir="$$pkg/testdata/fuzz/$$name"; \
		log=$$(mktemp); rc=$$(mktemp); \
		before=$$(ls "$$dir" 2>/dev/null | wc -l); \
		echo "fuzz: $$name in $$pkg for $(FUZZTIME)"; \
		{ if go test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) "$$pkg"; then s=0; else s=$$?; fi; echo "$$s" > "$$rc"; } 2>&1 | tee "$$log"; \
		status=$$(cat "$$rc"); after=$$(ls "$$dir" 2>/dev/null | wc -l); \
		if [ "$$status" -ne 0 ] && [ "$$after" -eq "$$before" ] && grep -q '^    context deadline exceeded$$' "$$log"; then \
			echo "fuzz: $$name stopped on Go's fuzztime deadline race (golang/go#75804), no reproducer written: not a failure"; \
			status=0; \
		fi; \
		rm -f "$$log" "$$rc"; \
		[ "$$status" -eq 0 ] || exit "$$status"; \
	done
