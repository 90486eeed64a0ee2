# The Lambda Runtime Interface Emulator (what runs inside sam local's containers),
# for shared/tooling/rie's tests and `jwtgate dev --invoke rie`. Included from the root
# Makefile; also usable alone: make -f mk/rie.mk tools-rie
#
# tools-rie            installs aws-lambda-rie into .tools/bin when missing (about 45 s cold).
# coldstart            measures each function's init duration and peak RSS under the emulator
#                      against two baselines (hello world, the SDK floor) and prints the table.
# build-HelloFunction  builds that hello-world baseline with the functions' own GO_BUILD.
# build-SDKFloorFunction  builds the second baseline: hello world plus the DynamoDB and
#                      Secrets Manager clients (the SDK's share of the authorizer's init).
#
# shared/rie.Build runs `make -f Makefile -f mk/rie.mk build-<LogicalId>`: the guard keeps
# this file from being read twice when the root Makefile includes mk/*.mk as well.

ifndef JWTGATE_RIE_MK
JWTGATE_RIE_MK := 1

TOOLS_DIR        ?= $(CURDIR)/.tools
RIE_BIN          ?= $(TOOLS_DIR)/bin/aws-lambda-rie
RIE_VERSION      ?= v0.0.0-20261030222936-bef5c4ba774d
COLDSTART_N      ?= 5
COLDSTART_REPORT ?= $(TOOLS_DIR)/coldstart.md

# The root Makefile defines these; the fallbacks are for `make -f mk/rie.mk` alone.
GOARCH        ?= arm64
ARTIFACTS_DIR ?= $(CURDIR)/.aws-sam/manual
GO_BUILD      ?= CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) go build -tags lambda.norpc -trimpath -ldflags='-s -w'

.PHONY: tools tools-rie coldstart build-HelloFunction build-SDKFloorFunction
tools: tools-rie

# The empty recipe keeps make quiet once installed.
tools-rie: $(RIE_BIN)
	@:

# go install writes the binary last: an interrupted run leaves nothing that looks installed.
$(RIE_BIN):
	@echo "installing aws-lambda-rie $(RIE_VERSION) into $(dir $(RIE_BIN))"
	GOBIN=$(dir $(RIE_BIN)) go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

build-HelloFunction:
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./shared/tooling/rie/testdata/hello

build-SDKFloorFunction:
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./shared/tooling/rie/testdata/sdkfloor

# Needs DynamoDB Local too (make tools-dynamodb): the session functions read their tables.
coldstart: tools-rie
	JWTGATE_COLDSTART_N=$(COLDSTART_N) JWTGATE_COLDSTART_REPORT=$(COLDSTART_REPORT) \
		go test -count=1 -run '^TestColdStart$$' ./shared/tooling/rie/
	@cat $(COLDSTART_REPORT)

endif
