# Load reports for BENCHMARKS.md section 5: cmd/jwtload against a running server. Included
# from the root Makefile; also usable alone: make -f mk/load.mk load (load-dynamodb needs
# mk/tools.mk too: make -f mk/tools.mk -f mk/load.mk load-dynamodb).
# Measurements, not tests: `make test` does not run them.
#
# load           jwtgate dev on its in-memory stores               -> .bench/load-memory.txt
# load-dynamodb  jwtgate dev --dynamodb-endpoint on DynamoDB Local  -> .bench/load-dynamodb.txt
#                (started here from the jar `make tools-dynamodb` installs, stopped afterwards)
# load-flask     the reference Flask + flask-jwt-extended app (bench/flaskref) under gunicorn
#                with one sync worker per CPU                       -> .bench/load-flask.txt
# tools-flask    installs Flask, flask-jwt-extended, PyJWT and gunicorn, python3-bcrypt and
#                python3-argon2 (the real password hashes of the import tests), and flask-cors (the
#                reference app's front end on another origin, in the migration browser test), Debian
#                packages, when missing; `make test` depends on it (the fidelity oracle).
#
# Each target runs three jwtload runs on one server: protected for LOAD_TIME, mix for LOAD_TIME,
# then a protected soak for LOAD_SOAK sampling the server's RSS (-pid; for gunicorn the master and
# every worker, summed). The server is a built binary, not `go run`, so the RSS is the server's.
# Every server waits for readiness (a target fails when one does not come up) and is stopped on
# exit, ^C included. The server's own output goes to .bench/load-<name>.server.log.

TOOLS_DIR          ?= $(CURDIR)/.tools
DYNAMODB_LOCAL_DIR ?= $(TOOLS_DIR)/dynamodb-local
BENCH_DIR          ?= $(CURDIR)/.bench
LOAD_CLIENTS       ?= 8
LOAD_TIME          ?= 20s
LOAD_SOAK          ?= 60s
LOAD_PORT          ?= 3917
LOAD_DYNAMODB_PORT ?= 8917
LOAD_FLASK_WORKERS ?= $(shell nproc)
LOAD_GUNICORN      ?= gunicorn
# Seconds a server gets to answer its first request (the JVM of DynamoDB Local is the slowest).
LOAD_READY_SECS    ?= 60

LOAD_JWTGATE := $(BENCH_DIR)/jwtgate
LOAD_JWTLOAD := $(BENCH_DIR)/jwtload

.PHONY: load load-dynamodb load-flask load-binaries tools-flask

load-binaries:
	@mkdir -p $(BENCH_DIR)
	go build -o $(LOAD_JWTGATE) ./cmd/jwtgate
	go build -o $(LOAD_JWTLOAD) ./cmd/jwtload

# make test needs it too (shared/suites/fidelity runs the library under /usr/bin/python3).
tools-flask:
	@command -v $(LOAD_GUNICORN) >/dev/null && /usr/bin/python3 -c 'import flask, flask_jwt_extended, jwt, bcrypt, argon2, flask_cors' 2>/dev/null || \
		(apt-get update && apt-get install -y python3-flask python3-python-flask-jwt-extended python3-jwt gunicorn python3-bcrypt python3-argon2 python3-flask-cors)

# Shell fragments (dash: no pipefail, so output goes through a file rather than tee).
#
# load-traps: the recipe's EXIT trap stops every server it started (the pids in $pids_to_stop,
# newest first) and waits for each; INT, TERM and HUP exit through it.
load-traps = pids_to_stop=""; \
	cleanup() { for p in $$pids_to_stop; do kill $$p 2>/dev/null || true; wait $$p 2>/dev/null || true; done; }; \
	trap cleanup EXIT; trap 'exit 130' INT TERM HUP

# load-port-free,port: refuse to start when something already answers on the port.
load-port-free = if curl -s -o /dev/null --max-time 2 http://127.0.0.1:$(1)/; then \
	echo "load: port $(1) is in use; set $(2)=another port" >&2; exit 1; fi

# load-wait,url,pid,log,name: poll url until it answers; fail if the process dies or time runs out.
load-wait = i=0; until curl -s -o /dev/null --max-time 2 $(1); do \
	kill -0 $(2) 2>/dev/null || { echo "load: $(4) exited before answering; its log:" >&2; tail -n 20 $(3) >&2; exit 1; }; \
	i=$$((i+1)); [ $$i -le $$(($(LOAD_READY_SECS)*4)) ] || { echo "load: $(4) not ready after $(LOAD_READY_SECS)s" >&2; tail -n 20 $(3) >&2; exit 1; }; \
	sleep 0.25; done

# load-runs,url,rss-pids,out: the three runs, each headed by the load average, into out.
load-runs = out=$(3); tmp=$$(mktemp); \
	echo "machine: $$(nproc) CPUs, $$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $$(go version | cut -d' ' -f3-), $$(date -u +%FT%TZ)" > $$out; \
	for run in "protected $(LOAD_TIME) -" "mix $(LOAD_TIME) -" "protected $(LOAD_SOAK) rss"; do \
		set -- $$run; pidflag=""; [ "$$3" = rss ] && pidflag="-pid $(2)"; \
		echo "== $$1 $$2$${pidflag:+ (RSS)}; load average before: $$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a $$out; \
		$(LOAD_JWTLOAD) -url $(1) -scenario $$1 -clients $(LOAD_CLIENTS) -duration $$2 $$pidflag > $$tmp || { cat $$tmp; rm -f $$tmp; exit 1; }; \
		cat $$tmp >> $$out; cat $$tmp; rm -f $$tmp; \
		echo "load average after: $$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a $$out; \
	done; echo "report: $$out"

# load-jwtgate,name,extra dev flags: run jwtgate dev (already built) and the three runs on it.
load-jwtgate = log=$(BENCH_DIR)/load-$(1).server.log; \
	$(call load-port-free,$(LOAD_PORT),LOAD_PORT); \
	$(LOAD_JWTGATE) dev -addr 127.0.0.1:$(LOAD_PORT) $(2) > $$log 2>&1 & srv=$$!; pids_to_stop="$$srv $$pids_to_stop"; \
	$(call load-wait,http://127.0.0.1:$(LOAD_PORT)/protected,$$srv,$$log,jwtgate dev); \
	$(call load-runs,http://127.0.0.1:$(LOAD_PORT),$$srv,$(BENCH_DIR)/load-$(1).txt)

load: load-binaries
	@set -eu; $(load-traps); \
	$(call load-jwtgate,memory,)

load-dynamodb: load-binaries tools-dynamodb
	@set -eu; $(load-traps); \
	dlog=$(BENCH_DIR)/load-dynamodb.java.log; \
	$(call load-port-free,$(LOAD_DYNAMODB_PORT),LOAD_DYNAMODB_PORT); \
	(cd $(DYNAMODB_LOCAL_DIR) && exec java -Djava.library.path=$(DYNAMODB_LOCAL_DIR)/DynamoDBLocal_lib \
		-jar $(DYNAMODB_LOCAL_DIR)/DynamoDBLocal.jar -inMemory -sharedDb -port $(LOAD_DYNAMODB_PORT)) > $$dlog 2>&1 & \
	ddb=$$!; pids_to_stop="$$ddb"; \
	$(call load-wait,http://127.0.0.1:$(LOAD_DYNAMODB_PORT)/,$$ddb,$$dlog,DynamoDB Local); \
	$(call load-jwtgate,dynamodb,--dynamodb-endpoint http://127.0.0.1:$(LOAD_DYNAMODB_PORT)); \
	echo "DynamoDB Local (pid $$ddb, not in the RSS above) RSS at the end: $$(ps -o rss= -p $$ddb | tr -d ' ') KiB" | tee -a $(BENCH_DIR)/load-dynamodb.txt

# JWT_SECRET_KEY is shared by every worker; without --preload each worker imports the app itself.
# PYTHONDONTWRITEBYTECODE keeps __pycache__ out of bench/flaskref.
load-flask: load-binaries tools-flask
	@set -eu; $(load-traps); \
	log=$(BENCH_DIR)/load-flask.server.log; \
	$(call load-port-free,$(LOAD_PORT),LOAD_PORT); \
	JWT_SECRET_KEY=$$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n') PYTHONDONTWRITEBYTECODE=1 $(LOAD_GUNICORN) --chdir $(CURDIR)/bench/flaskref \
		--worker-class sync --workers $(LOAD_FLASK_WORKERS) --bind 127.0.0.1:$(LOAD_PORT) app:app > $$log 2>&1 & \
	srv=$$!; pids_to_stop="$$srv"; \
	$(call load-wait,http://127.0.0.1:$(LOAD_PORT)/protected,$$srv,$$log,gunicorn); \
	i=0; while [ $$(pgrep -P $$srv | wc -l) -lt $(LOAD_FLASK_WORKERS) ]; do \
		i=$$((i+1)); [ $$i -le 40 ] || { echo "load: gunicorn has fewer than $(LOAD_FLASK_WORKERS) workers" >&2; exit 1; }; sleep 0.25; done; \
	pids="$$srv,$$(pgrep -P $$srv | paste -sd, -)"; echo "gunicorn master and workers: $$pids"; \
	$(call load-runs,http://127.0.0.1:$(LOAD_PORT),$$pids,$(BENCH_DIR)/load-flask.txt); \
	echo "gunicorn $$($(LOAD_GUNICORN) --version 2>&1 | sed 's/.*(version \(.*\))/\1/'), $(LOAD_FLASK_WORKERS) sync workers, $$(/usr/bin/python3 -c 'import flask, flask_jwt_extended, werkzeug, sys; print("python", sys.version.split()[0], "flask", flask.__version__, "flask-jwt-extended", flask_jwt_extended.__version__, "werkzeug", werkzeug.__version__)'); RSS summed over master and workers $$pids" | tee -a $(BENCH_DIR)/load-flask.txt
