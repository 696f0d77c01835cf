# Two entry points for a fresh machine with only Python 3.11 and make:
#   make dashboard   set everything up and open the dashboard on the embedded data
#   make test        set everything up and run the whole test suite
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch keeps set-up fast; use `make TORCH=torch` for a CUDA build.
TORCH ?= torch==2.13.0
PORT ?= 8501
# pytest-xdist workers of `make test`, each test file whole on one worker (its module fixtures computed once), the
# files in collection order, which tests/conftest.py starts with the long ones (xdist would reorder by test count);
# 2 measured on the 2-core machine the suite is sized for; TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2

.PHONY: setup dashboard test browser-deps screenshots clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

dashboard: setup
	$(BIN)/neuralfactors dashboard --port $(PORT)

# Chromium for the browser tests: Debian's package (Playwright cannot download browsers offline).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: browser tests will report it"; \
	  else echo "chromium not found: install it (apt-get install chromium) to run the browser tests"; fi; }

test: setup browser-deps
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# Benchmarks (not shipped): $(BIN)/python -m benchmarks data|train|risk|scale|dashboard --out docs
screenshots: setup browser-deps
	$(BIN)/python -m benchmarks screenshots --out docs/screenshots

clean:
	rm -rf $(VENV) .pytest_cache
