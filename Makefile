# relationkit developer commands. `make test` is what CI runs (via .ci/run).
#
#   make venv       create .venv and install the package with dev + docs extras
#   make demo       run examples/cdnow_demo.py (its SQLite file and tracking plot go to
#                   ~/.cache/relationkit; DEMO_ARGS="--memory" or "--db FILE" to choose)
#   make test       lint, format check, mypy, docs build, pytest (with a throwaway PostgreSQL)
#   make lint       ruff check + ruff format --check
#   make format     apply ruff fixes and formatting
#   make typecheck  mypy (configured in pyproject.toml)
#   make docs       mkdocs build --strict into site/
#   make bench      run the benchmarks in benchmarks/
#   make clean      remove caches and build output (keeps .venv)
#   make distclean  clean, and remove .venv too

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install; rebuilt whenever pyproject.toml changes.
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint format typecheck docs bench clean distclean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
		echo "error: '$(PYTHON)' not found. Install Python 3.11 or newer, or run 'make PYTHON=/path/to/python3.11'." >&2; \
		exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "error: relationkit needs Python 3.11 or newer, but '$(PYTHON)' is $$($(PYTHON) -V 2>&1)." >&2; \
		echo "       Install a newer Python and run 'make PYTHON=python3.11' (or newer)." >&2; \
		exit 1; }
	@# A failed `python3 -m venv` (e.g. Debian without python3-venv) leaves a
	@# half-made .venv behind; remove it so the next run starts clean.
	@if [ ! -x $(BIN)/python ]; then \
		echo "$(PYTHON) -m venv $(VENV)"; \
		$(PYTHON) -m venv $(VENV) || { \
			rm -rf $(VENV); \
			echo "error: '$(PYTHON) -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)." >&2; \
			exit 1; }; \
	fi
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "error: $(VENV) uses $$($(BIN)/python -V 2>&1); relationkit needs 3.11+. Run 'make distclean' and retry." >&2; \
		exit 1; }
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[dev,docs]'
	touch $@

demo: venv
	$(BIN)/python examples/cdnow_demo.py $(DEMO_ARGS)

# Extra pytest arguments: make test PYTEST_ARGS='-k customers -x'
test: venv
	bash scripts/test.sh $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: venv
	$(BIN)/mypy

docs: venv
	$(BIN)/mkdocs build --strict

# The quick variant of every benchmark (each prints its table, with PASS/MISS
# against issue 8's targets, and exits 0 whatever they say). PostgreSQL runs
# too when RELATIONKIT_TEST_POSTGRES_URL is set (not for ingest.py, which runs
# its full file: about 30 s). The full sizes: run a script without --quick.
# BENCH_ARGS goes to each: BENCH_ARGS=--cpu, or --check (make stops at a MISS).
bench: venv
	$(BIN)/python benchmarks/ingest.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/bulk.py --quick $(BENCH_ARGS)
	$(BIN)/python benchmarks/redeem.py --quick $(BENCH_ARGS)
	$(BIN)/python benchmarks/ledger_scaling.py --quick $(BENCH_ARGS)
	$(BIN)/python benchmarks/write_path.py --quick $(BENCH_ARGS)
	$(BIN)/python benchmarks/settlement.py --quick $(BENCH_ARGS)

# Leaves .pg/ alone: its state files may belong to a `make test` that is still running.
clean:
	rm -rf build dist site .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage src/*.egg-info
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
