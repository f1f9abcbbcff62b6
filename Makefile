# Two commands a newcomer needs: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo notebooks test test-fast lint bench browser clean screenshots compat compat-ci docs docs-serve pythons release-check

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## demo: a local sandbox and JupyterLab on the guide notebook (DEMO_ARGS="--port 9999 --no-browser" to pass options)
# It runs on copies in artifacts/demo-notebooks/ (refreshed when the stored guides change), so that
# what JupyterLab saves while you try things never lands in the stored notebooks nbval checks.
DEMO_DIR := artifacts/demo-notebooks
demo: $(STAMP)
	mkdir -p $(DEMO_DIR) && cp -u notebooks/*.ipynb $(DEMO_DIR)/
	$(BIN)/hops-widgets demo --notebook $(DEMO_DIR)/inspect_deployment_state.ipynb $(DEMO_ARGS)

## notebooks: re-execute the guides (notebooks/*.py, jupytext percent format) into notebooks/*.ipynb with outputs
notebooks: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py

## browser: Debian's Chromium for the browser tests (needs root; CI runs it)
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

## test: everything: unit, integration, real SDK, notebooks (nbval), browser (e2e)
# Two workers (TEST_WORKERS=0 for one process); --dist loadfile keeps each file's tests, and so a
# notebook's cells and a module's servers, on one worker.
TEST_WORKERS ?= 2
test: $(STAMP) lint
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env --nbval-sanitize-with notebooks/nbval-sanitize.cfg -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile

## test-fast: no browser, no notebooks
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests -m "not e2e"

## screenshots: refresh the README pictures from the browser suite
screenshots: $(STAMP)
	HOPS_WIDGETS_UPDATE_DOCS=1 $(BIN)/python -m pytest tests/e2e -m e2e -q

## compat: the guide on every hopsworks SDK version (COMPAT_VERSIONS="4.2.10 5.0.11" for some);
## one cached environment per version under .venv-compat/
COMPAT_VERSIONS ?=
compat: $(STAMP)
	$(BIN)/python scripts/compat.py $(COMPAT_VERSIONS)

## compat-ci: the oldest and the newest SDK, as CI runs them
compat-ci: $(STAMP)
	$(BIN)/python scripts/compat.py 3.7.0 5.2.1

## docs: the documentation site into site/ (strict: a broken link or a missing reference fails; offline)
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
	@echo "docs: site/index.html ($$(find site -name '*.html' | wc -l) pages)"

## docs-serve: the site at http://127.0.0.1:8000, rebuilt on every change
docs-serve: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

## pythons: the suite without the browser on the oldest and the newest supported Python besides
## .venv's (PYTHONS="3.12" for others), in cached .venv-py3.X environments
PYTHONS ?=
pythons: $(STAMP)
	$(BIN)/python scripts/pythons.py $(PYTHONS)

## release-check: sdist and wheel, twine check, the wheel in a fresh venv with [sandbox] only
release-check: $(STAMP)
	$(BIN)/python scripts/release_check.py

# TypeScript (pinned in package.json, locked in package-lock.json) only type-checks js/widget.js
# (checkJs, tsconfig.json): the shipped module stays the hand-written file, no build step.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "make lint needs npm (Debian: apt-get install npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

## lint: ruff (check and format) and the type check of js/widget.js (tsc --noEmit)
lint: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check hops_widgets tests benchmarks scripts examples conftest.py
	$(BIN)/ruff format --check hops_widgets tests benchmarks scripts examples conftest.py
	node_modules/.bin/tsc --noEmit -p tsconfig.json

## bench: the figures in the README's performance table
bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf node_modules $(VENV) .venv-compat .venv-py3.* artifacts .pytest_cache site dist
