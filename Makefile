# Builds the Lambda functions for `sam build` (Metadata: BuildMethod: makefile, CodeUri: .).
# sam runs `make build-<LogicalId>` with ARTIFACTS_DIR set; by hand:
#   make build-LoginFunction ARTIFACTS_DIR=/tmp/login
# CGO_ENABLED=0 gives a static binary; lambda.norpc drops the go1.x RPC start path that
# provided.al2023 never uses.

GOARCH ?= arm64
ARTIFACTS_DIR ?= $(CURDIR)/.aws-sam/manual

GO_BUILD = CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) go build -tags lambda.norpc -trimpath -ldflags='-s -w'

# go-function defines build-$(1), which builds ./functions/$(2) into $(ARTIFACTS_DIR)/bootstrap.
define go-function
.PHONY: build-$(1)
build-$(1):
	$$(GO_BUILD) -o $$(ARTIFACTS_DIR)/bootstrap ./functions/$(2)
endef

# One line per function of template.yaml and template-httpapi.yaml: logical ID, directory.
$(eval $(call go-function,LoginFunction,login))
$(eval $(call go-function,RefreshFunction,refresh))
$(eval $(call go-function,LogoutFunction,logout))
$(eval $(call go-function,PasswordFunction,password))
$(eval $(call go-function,AuthorizerFunction,authorizer))
$(eval $(call go-function,ProtectedFunction,protected))
$(eval $(call go-function,JwksFunction,jwks))

.PHONY: lint
lint:
	cfn-lint template.yaml template-httpapi.yaml

# ---- Development: tools, tests, benchmarks --------------------------------------------------
# Fragments under mk/ add the tool installers (DynamoDB Local, the Lambda emulator, Chromium),
# fuzzing and the cold-start report.
include $(wildcard mk/*.mk)

GO_TEST_FLAGS ?= -count=1 -timeout 30m

.PHONY: tools test vet fmt-check
# Everything the tests start themselves, installed when missing.
tools: tools-dynamodb tools-rie tools-chromium

fmt-check:
	@out=$$(gofmt -s -l .); if [ -n "$$out" ]; then echo "gofmt -s needed:"; echo "$$out"; exit 1; fi

vet:
	go vet ./...

# The one test command: installs what the tests need, checks the template, runs every test,
# then again under the race detector (mk/race.mk).
test: tools fmt-check vet lint
	go test $(GO_TEST_FLAGS) ./...
	$(race-pass)
