# The two commands: `make run` sets up and starts Stroom, `make test` sets up and runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp-install
WEB_STAMP := web/node_modules/.stamp-install
WEB_BUILD := web/static/build/designer-bpmn.js
WEB_SOURCES := $(wildcard web/src/*.js web/src/*.css) web/stroom-moddle.json
CHROMIUM := /usr/bin/chromium

.PHONY: run test tck bench soak growth faults clean translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

# The bpmn.io packages (dmn-js and form-js are served from their prebuilt bundles); reinstalled only when the lock changes.
$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_STAMP)

# The BPMN editor (bpmn-js, properties panel, element templates), bundled by esbuild into web/static/build
# (gitignored); rebuilt when its sources or the lock change.
$(WEB_BUILD): $(WEB_STAMP) $(WEB_SOURCES)
	cd web && npm run --silent build

# Debian's chromium for the end-to-end tests (Playwright never downloads a browser here).
$(CHROMIUM):
	@if ! command -v apt-get >/dev/null; then echo "install chromium at $(CHROMIUM) for the e2e tests"; exit 1; fi
	DEBIAN_FRONTEND=noninteractive apt-get -qq update >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null

run: $(STAMP) $(WEB_STAMP) $(WEB_BUILD)
	$(BIN)/stroom db upgrade
	$(BIN)/stroom demo --if-new
	$(BIN)/stroom run --host 127.0.0.1 --port 5000

# Two workers by default (TEST_WORKERS=0 runs in one process, e.g. to debug). Not --dist loadscope: it keys
# tests by node id, and schemathesis's generated cases share one, so it ran 96 of the contract module's 183.
TEST_WORKERS ?= 2
test: $(STAMP) $(WEB_STAMP) $(WEB_BUILD) $(CHROMIUM)
	$(BIN)/pytest -q -n $(TEST_WORKERS)

# The DMN TCK levels 2 and 3 (../shared/corpus/dmn/tck-full): passed testCases per level and overall.
tck: $(STAMP)
	$(BIN)/python -m tests.unit.decisions.tck

# Every bench script (each under 5 minutes on 2 cores), then one table of the figures that have targets.
bench: $(STAMP)
	@rm -f bench/results/*.json
	@for script in bench/*.py; do \
		[ "$$script" = bench/common.py ] && continue; \
		[ "$$script" = bench/soak.py ] && continue; \
		[ "$$script" = bench/growth.py ] && continue; \
		echo "== $$script"; $(BIN)/python $$script || exit 1; \
	done
	@$(BIN)/python bench/common.py

# Mixed load for SOAK_SECONDS (default 600) against gunicorn + workers on PostgreSQL; prints the summary.
soak: $(STAMP)
	$(BIN)/python bench/soak.py

# PostgreSQL grown to GROWTH_TARGET invoices (default 1,000,000) in steps of GROWTH_STEP (100,000): ingest rate,
# task-list p95 and audit verify per step, last step against first (at most 20 % worse). Hours at the full size;
# GROWTH_TARGET=200000 for a shorter run. Writes bench/results/growth.json.
growth: $(STAMP)
	$(BIN)/python bench/growth.py

# The fault tests including the one that stops and starts the shared PostgreSQL server.
faults: $(STAMP)
	STROOM_FAULT_TESTS=1 $(BIN)/pytest -q tests/faults

clean:
	rm -rf $(VENV) instance build *.egg-info

# Extract page texts and update the nl/en catalogs; commit the .po and the compiled .mo.
translations: $(STAMP)
	$(BIN)/pybabel extract -F web/babel.cfg --no-location --omit-header -k N_ -o web/translations/messages.pot .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations --ignore-obsolete --no-fuzzy-matching
	$(BIN)/pybabel compile -d web/translations
