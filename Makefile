# sellergate developer and CI entry points. `make test` on a fresh machine installs what it needs.
.DEFAULT_GOAL := test
.PHONY: install peers test check lint format typecheck pytest fuzz demo bench clean distclean

PYTHON ?= python3
UV ?= uv
VENV := .venv
BIN := $(VENV)/bin
# Every interpreter the tests start (pytest's workers, `sellergate serve` and its workers)
# imports the whole stack: with byte-code caches that costs about half as much, so they are
# written even where the environment turns them off (PYTHONDONTWRITEBYTECODE).
export PYTHONDONTWRITEBYTECODE :=
# bench/ (and others) may not exist yet; lint only what does.
LINT_DIRS := $(wildcard src tests bench)
PYTEST_ARGS ?=
# pytest-xdist worker processes for the suite (0: all in this process).
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal
# e.g. make bench BENCH_ARGS="--postgres --workers 2"
BENCH_ARGS ?=

# Bootstrap uv if needed (pip --user, then a plain pip install), then install the locked
# dependencies (the dev group and the demo extra included) into .venv.
install:
	@set -e; \
	if command -v $(UV) >/dev/null 2>&1; then uv="$(UV)"; \
	elif $(PYTHON) -m uv --version >/dev/null 2>&1; then uv="$(PYTHON) -m uv"; \
	else \
		echo ">>> uv not found; installing it with pip"; \
		$(PYTHON) -m pip install --user --quiet uv \
		|| $(PYTHON) -m pip install --user --quiet --break-system-packages uv \
		|| $(PYTHON) -m pip install --quiet uv \
		|| { echo "error: could not install uv; install it (https://docs.astral.sh/uv/) and retry" >&2; exit 1; }; \
		uv="$(PYTHON) -m uv"; \
	fi; \
	echo ">>> $$uv sync --frozen --extra demo --python $(PYTHON)"; \
	$$uv sync --frozen --extra demo --python $(PYTHON)

# The independent peers the tests run (tests/node: a real OpenID Connect provider and an
# independent OAuth client), from the lock file.
peers:
	@command -v npm >/dev/null 2>&1 || { echo "error: npm is needed for the test peers (apt-get install nodejs npm)" >&2; exit 1; }
	@if [ ! -f tests/node/node_modules/.package-lock.json ] || [ tests/node/package-lock.json -nt tests/node/node_modules/.package-lock.json ]; then \
		echo ">>> npm ci (tests/node)"; npm ci --prefix tests/node --no-audit --no-fund --loglevel=error; fi

lint: install
	$(BIN)/ruff format --check $(LINT_DIRS)
	$(BIN)/ruff check $(LINT_DIRS)

typecheck: install
	$(BIN)/mypy

pytest: install peers
	$(PYTEST) $(PYTEST_ARGS)

# Format check, lint, the layer contracts, then types and the whole test suite (SQLite and
# PostgreSQL) side by side: mypy's report is printed once pytest is done, and either failing
# fails the target.
test: install peers
	$(BIN)/ruff format --check $(LINT_DIRS)
	$(BIN)/ruff check $(LINT_DIRS)
	$(BIN)/lint-imports
	@set +e; report=$$(mktemp); \
	$(BIN)/mypy >"$$report" 2>&1 & mypy=$$!; \
	echo "$(PYTEST) $(PYTEST_ARGS)  (mypy alongside)"; \
	$(PYTEST) $(PYTEST_ARGS); tests=$$?; \
	wait $$mypy; types=$$?; \
	echo "$(BIN)/mypy"; cat "$$report"; rm -f "$$report"; \
	[ $$tests -eq 0 ] && [ $$types -eq 0 ]

check: test

# The fuzzing suite at length: many more random examples than the bounded run in `make test`.
fuzz: install peers
	SELLERGATE_FUZZ=long $(BIN)/pytest tests/fuzz $(PYTEST_ARGS)

format: install
	$(BIN)/ruff format $(LINT_DIRS)
	$(BIN)/ruff check --fix $(LINT_DIRS)

demo: install
	$(BIN)/sellergate demo

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist test-artifacts
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
