# Chromium for the browser tests (shared/tooling/webapp/browser_test.go drives it with
# chromedp). Included from the root Makefile; also usable alone:
#   make -f mk/browser.mk tools-chromium
# The tests fail (never skip) without it and name this target.

.PHONY: tools-chromium tools-npm test-browser
tools: tools-npm
tools-chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# The browser tests alone; screenshots of every step are kept (go test
# -artifacts) under BROWSER_ARTIFACTS, outside the repository.
BROWSER_ARTIFACTS ?= $(or $(TMPDIR),/tmp)/jwtgate-browser-artifacts

test-browser: tools-chromium tools-npm
	@mkdir -p $(BROWSER_ARTIFACTS)
	go test -count=1 -artifacts -outputdir $(BROWSER_ARTIFACTS) -run 'TestBrowser' ./shared/tooling/webapp/
	@echo "screenshots: $(BROWSER_ARTIFACTS)/_artifacts"

# Real client libraries the browser tests load into Chromium (axios), from npm into a
# test-local node_modules (git-ignored), at the versions package-lock.json pins. The tests
# fail (never skip) without them and name this target.
NPM_TEST_DIR := shared/tooling/webapp/testdata/npm

tools-npm: $(NPM_TEST_DIR)/node_modules/axios/dist/axios.min.js
	@:

$(NPM_TEST_DIR)/node_modules/axios/dist/axios.min.js: $(NPM_TEST_DIR)/package-lock.json
	cd $(NPM_TEST_DIR) && npm ci --no-audit --no-fund --ignore-scripts
	@touch $@
