# The two commands of the README. Everything is installed from the lock files into .venv.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench venv clean locks chromium

run: $(STAMP)
	$(BIN)/python -m phase6 demo --if-missing
	$(BIN)/python -m phase6 run --date yesterday --types results-set
	$(BIN)/python -m phase6 run --date today --types all
	$(BIN)/python -m phase6 report --latest

test: $(STAMP) chromium
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

venv: $(STAMP)

$(STAMP): requirements-lock.txt requirements-dev-lock.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-lock.txt -r requirements-dev-lock.txt
	touch $(STAMP)

# Headless Chromium for the browser tests (Debian's package); installed once, needs root and apt-get.
chromium:
	@test -x /usr/bin/chromium || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
		|| echo "chromium is not installed (needs root and apt-get): browser tests skip outside CI"

clean:
	rm -rf $(VENV) .phase6 public

# Re-pin and re-hash both lock files from requirements*.txt.
locks: $(STAMP)
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements-lock.txt requirements.txt
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements-dev-lock.txt requirements-dev.txt
