# The two commands of the README. Everything is installed from the lock files into .venv.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TOOLS := .tools
EMULATOR := $(TOOLS)/bqemulator
ANALYSER := $(TOOLS)/zetasql

.PHONY: run test bench venv clean locks chromium tools

# The demo's day as production runs it: last night's results, then today's pages (the scheduler's jobs). Asking
# for today's results instead would only keep results/latest.json on yesterday, with a warning: no game is graded yet.
run: $(STAMP)
	$(BIN)/python -m phase6 demo --if-missing
	$(BIN)/python -m phase6 run --date yesterday --types results-set
	$(BIN)/python -m phase6 run --date today --types tonight-set,players,live-grading
	$(BIN)/python -m phase6 report --latest

# Two xdist workers, each test module on one worker (its module-scoped servers start once); the demo season is
# built once per run and shared (tests/conftest.py). `make test TEST_WORKERS=0` runs in one process.
TEST_WORKERS ?= 2
test: $(STAMP) chromium tools
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

venv: $(STAMP)

# The interpreter's bundled pip installs only the pinned, hashed uv; uv installs exactly the two locks.
$(STAMP): requirements-installer-lock.txt requirements-lock.txt requirements-dev-lock.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-installer-lock.txt
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes requirements-lock.txt requirements-dev-lock.txt
	touch $(STAMP)

# Servers the tests start (tests/servers.py), each installed from this repository's pinned, hashed files.
tools: $(EMULATOR)/.installed $(ANALYSER)/.installed

# The BigQuery API emulator, in its own venv (its duckdb and sqlglot pins are not ours). It will not start without
# DuckDB's spatial extension and cannot download it: DuckDB installs it from the pinned wheel's file into the
# extension directory of the emulator's own HOME.
$(EMULATOR)/.installed: tools/bqemulator/requirements-lock.txt $(STAMP)
	$(BIN)/uv venv --quiet --allow-existing --python $(PYTHON) $(EMULATOR)
	$(BIN)/uv pip sync --quiet --python $(EMULATOR)/bin/python --require-hashes tools/bqemulator/requirements-lock.txt
	mkdir -p $(EMULATOR)/home
	HOME=$(CURDIR)/$(EMULATOR)/home $(EMULATOR)/bin/python -c "import duckdb, pathlib, duckdb_extension_spatial as s; \
		duckdb.execute(\"INSTALL '%s'\" % next(pathlib.Path(s.__file__).parent.rglob('spatial.duckdb_extension')))"
	touch $@

# Google's ZetaSQL analyser (a local-service server binary in an npm package), exactly as package-lock.json pins it.
$(ANALYSER)/.installed: tools/zetasql/package.json tools/zetasql/package-lock.json
	mkdir -p $(ANALYSER)
	cp tools/zetasql/package.json tools/zetasql/package-lock.json $(ANALYSER)/
	npm ci --prefix $(ANALYSER) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# Headless Chromium for the browser tests (Debian's package); installed once, needs root and apt-get.
chromium:
	@test -x /usr/bin/chromium || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
		|| echo "chromium is not installed (needs root and apt-get): browser tests skip outside CI"

clean:
	rm -rf $(VENV) $(TOOLS) .phase6 public

# Re-pin and re-hash the three lock files from requirements*.txt (deploy/locks.py: uv pip compile, extras explicit).
locks: $(STAMP)
	$(BIN)/python deploy/locks.py
