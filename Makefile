# Builds the Lambda functions for `sam build` (Metadata: BuildMethod: makefile, CodeUri: .).
# samconfig.toml sets build_in_source: sam runs the target here instead of copying the tree, and
# the target reads only go.mod, go.sum, functions/ (or examples/) and shared/runtime/.
# sam runs `make build-<LogicalId>` with ARTIFACTS_DIR set; by hand:
#   make build-LoginFunction ARTIFACTS_DIR=/tmp/login
# CGO_ENABLED=0 gives a static binary; lambda.norpc drops the go1.x RPC start path that
# provided.al2023 never uses.

GOARCH ?= arm64
ARTIFACTS_DIR ?= $(CURDIR)/.aws-sam/manual

GO_BUILD = CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) go build -tags lambda.norpc -trimpath -ldflags='-s -w'

# The naming rule: build-<Name>Function builds ./functions/<name>, <name> being <Name> in lower
# case (LoginFunction: ./functions/login), or ./examples/<name> for the examples. A new Go function
# needs no line here: add functions/<name>/main.go and a <Name>Function resource to the template
# (template_test.go checks that every function of the templates has its build).
lower = $(subst A,a,$(subst B,b,$(subst C,c,$(subst D,d,$(subst E,e,$(subst F,f,$(subst G,g,$(subst H,h,$(subst I,i,$(subst J,j,$(subst K,k,$(subst L,l,$(subst M,m,$(subst N,n,$(subst O,o,$(subst P,p,$(subst Q,q,$(subst R,r,$(subst S,s,$(subst T,t,$(subst U,u,$(subst V,v,$(subst W,w,$(subst X,x,$(subst Y,y,$(subst Z,z,$(1)))))))))))))))))))))))))))
function-dir = $(firstword $(wildcard functions/$(call lower,$(1))/main.go examples/$(call lower,$(1))/main.go))

build-%Function:
	@test -n "$(call function-dir,$*)" || { echo "$@: no functions/$(call lower,$*)/main.go" >&2; exit 1; }
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./$(patsubst %/main.go,%,$(call function-dir,$*))

.PHONY: lint
lint:
	cfn-lint template.yaml template-httpapi.yaml

# ---- Development: tools, tests, benchmarks --------------------------------------------------
# Fragments under mk/ add the tool installers (DynamoDB Local, the Lambda emulator, Chromium),
# fuzzing and the cold-start report.
include $(wildcard mk/*.mk)

GO_TEST_FLAGS ?= -count=1 -timeout 30m

.PHONY: tools test vet fmt-check
# Everything the tests start themselves, installed when missing (tools-flask: the real
# flask-jwt-extended the fidelity oracle, shared/suites/fidelity, runs beside jwtgate dev).
tools: tools-dynamodb tools-rie tools-chromium tools-flask

fmt-check:
	@out=$$(gofmt -s -l .); if [ -n "$$out" ]; then echo "gofmt -s needed:"; echo "$$out"; exit 1; fi

vet:
	go vet ./...

# The one test command: installs what the tests need, checks the template, runs every test,
# then again under the race detector (mk/race.mk).
test: tools fmt-check vet lint
	go test $(GO_TEST_FLAGS) ./...
	$(race-pass)
