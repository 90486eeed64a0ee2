# The Lambda Runtime Interface Emulator (what runs inside sam local's containers),
# for shared/rie's tests and `jwtgate dev --invoke rie`. Included from the root
# Makefile; also usable alone: make -f mk/rie.mk tools-rie
#
# tools-rie   installs aws-lambda-rie into .tools/bin when missing (about 45 s cold).
# coldstart   measures each function's init duration and peak RSS under the emulator
#             against a hello-world aws-lambda-go function and prints the table.

TOOLS_DIR   ?= $(CURDIR)/.tools
RIE_BIN     ?= $(TOOLS_DIR)/bin/aws-lambda-rie
RIE_VERSION ?= v0.0.0-20261030222936-bef5c4ba774d
COLDSTART_N ?= 5
COLDSTART_REPORT ?= $(CURDIR)/.tools/coldstart.md

.PHONY: tools-rie coldstart
tools: tools-rie

tools-rie: $(RIE_BIN)
	@:

# go install writes the binary last, so an interrupted run leaves nothing that looks installed.
$(RIE_BIN):
	@echo "installing aws-lambda-rie $(RIE_VERSION) into $(dir $(RIE_BIN))"
	GOBIN=$(dir $(RIE_BIN)) go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

# Needs DynamoDB Local too (the session functions read their tables during the measured invoke).
coldstart: tools-rie
	JWTGATE_COLDSTART_N=$(COLDSTART_N) JWTGATE_COLDSTART_REPORT=$(COLDSTART_REPORT) \
		go test -count=1 -run '^TestColdStart$$' ./shared/rie/
	@cat $(COLDSTART_REPORT)
