# Chromium for the browser tests (shared/tooling/webapp/browser_test.go drives it with
# chromedp). Included from the root Makefile; also usable alone:
#   make -f mk/browser.mk tools-chromium
# The tests fail (never skip) without it and name this target.

.PHONY: tools-chromium test-browser
tools-chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# The browser tests alone; screenshots of every step are kept (go test
# -artifacts) under BROWSER_ARTIFACTS, outside the repository.
BROWSER_ARTIFACTS ?= $(or $(TMPDIR),/tmp)/jwtgate-browser-artifacts

test-browser: tools-chromium
	@mkdir -p $(BROWSER_ARTIFACTS)
	go test -count=1 -artifacts -outputdir $(BROWSER_ARTIFACTS) -run 'TestBrowser' ./shared/tooling/webapp/
	@echo "screenshots: $(BROWSER_ARTIFACTS)/_artifacts"
