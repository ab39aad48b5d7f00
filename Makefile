# The two commands of the README. Everything is installed from the lock files into .venv.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test venv clean locks

run: $(STAMP)
	$(BIN)/python -m phase6 demo --if-missing
	$(BIN)/python -m phase6 run --date yesterday --types results-set
	$(BIN)/python -m phase6 run --date today --types all

test: $(STAMP)
	$(BIN)/python -m pytest

venv: $(STAMP)

$(STAMP): requirements-lock.txt requirements-dev-lock.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-lock.txt -r requirements-dev-lock.txt
	touch $(STAMP)

clean:
	rm -rf $(VENV) .phase6 public

# Re-pin and re-hash both lock files from requirements*.txt.
locks: $(STAMP)
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements-lock.txt requirements.txt
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements-dev-lock.txt requirements-dev.txt
