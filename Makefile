# Two commands for a newcomer: `make run` and `make test`. Everything they need is installed here.
VENV ?= .venv
PYTHON ?= python3
PORT ?= 8000
BIN := $(VENV)/bin

.PHONY: install run test bench clean schema axe screenshots polaris-tokens

# Shopify's Admin GraphQL schema (API 2026-10), from its npm package: the tests validate every
# GraphQL document the app sends against it. Cached, and ignored by git.
SCHEMA_PACKAGE := @shopify/dev-mcp@1.16.0
SCHEMA := .cache/shopify/admin_2026-10.json.gz

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

$(SCHEMA):
	@mkdir -p $(dir $(SCHEMA))
	@if command -v npm >/dev/null 2>&1; then \
	  npm pack --silent $(SCHEMA_PACKAGE) --pack-destination $(dir $(SCHEMA)) >/dev/null && \
	  tar -xzf $(dir $(SCHEMA))shopify-dev-mcp-1.16.0.tgz -C $(dir $(SCHEMA)) --strip-components=3 \
	    package/dist/data/admin_2026-10.json.gz && rm -f $(dir $(SCHEMA))shopify-dev-mcp-1.16.0.tgz \
	  || echo "warning: could not fetch $(SCHEMA_PACKAGE); schema tests will be skipped"; \
	else \
	  echo "warning: npm not found; schema tests will be skipped"; \
	fi

schema: $(SCHEMA)

# Shopify's Polaris design tokens: the pages' colours, type, spacing, radii and shadows. The npm
# package is cached (ignored); static/vendor/polaris-tokens.css is generated from it and committed, so
# the app runs without npm. `make polaris-tokens` regenerates it; a test checks the two agree.
TOKENS_VERSION := 9.4.2
TOKENS_TARBALL := .cache/polaris/shopify-polaris-tokens-$(TOKENS_VERSION).tgz

$(TOKENS_TARBALL):
	@mkdir -p $(dir $(TOKENS_TARBALL))
	@if command -v npm >/dev/null 2>&1; then \
	  npm pack --silent @shopify/polaris-tokens@$(TOKENS_VERSION) --pack-destination $(dir $(TOKENS_TARBALL)) >/dev/null \
	  || echo "warning: could not fetch @shopify/polaris-tokens; the tokens test will be skipped"; \
	else \
	  echo "warning: npm not found; the tokens test will be skipped"; \
	fi

polaris-tokens: $(TOKENS_TARBALL)
	$(PYTHON) tools/polaris_tokens.py $(TOKENS_TARBALL) static/vendor/polaris-tokens.css

# axe-core (pinned), which the page-quality browser tests inject to find accessibility violations
# (SPEC §7). Cached and ignored like the schema; without it those tests skip (REQUIRE_BROWSER=1 fails).
AXE_VERSION := 4.11.4
AXE := .cache/axe-core/axe.min.js

$(AXE):
	@mkdir -p $(dir $(AXE))
	@if command -v npm >/dev/null 2>&1; then \
	  npm pack --silent axe-core@$(AXE_VERSION) --pack-destination $(dir $(AXE)) >/dev/null && \
	  tar -xzf $(dir $(AXE))axe-core-$(AXE_VERSION).tgz -C $(dir $(AXE)) --strip-components=1 \
	    package/axe.min.js package/LICENSE && rm -f $(dir $(AXE))axe-core-$(AXE_VERSION).tgz \
	  || echo "warning: could not fetch axe-core@$(AXE_VERSION); accessibility tests will be skipped"; \
	else \
	  echo "warning: npm not found; accessibility tests will be skipped"; \
	fi

axe: $(AXE)

# Serve the app on 127.0.0.1:$(PORT) with a migrated SQLite file in instance/ (or DATABASE_URL).
# With no SHOPIFY_API_KEY: demo mode (a fake Shopify store and a sync worker run beside it).
run: install schema
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app serve --host 127.0.0.1 --port $(PORT)

# The whole test suite, one worker per core (pytest-xdist; a test file stays on one worker, so its
# browser and demo site start once). PostgreSQL tests skip when the server is unreachable
# (REQUIRE_POSTGRES=1 fails instead). `make test TEST_WORKERS=0` runs in one process.
TEST_WORKERS ?= auto
test: install schema axe $(TOKENS_TARBALL)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The README's screenshots (docs/screenshots), refreshed on purpose; test runs write to build/screenshots.
screenshots: install schema axe
	SCREENSHOTS_DIR=docs/screenshots REQUIRE_BROWSER=1 $(BIN)/pytest -q -p no:randomly tests/test_browser.py \
	  tests/test_first_hour_browser.py tests/test_costing_browser.py tests/test_reversal_browser.py \
	  tests/test_availability_browser.py tests/test_inventory_states_browser.py tests/test_chrome_browser.py \
	  tests/test_page_quality.py::test_screenshots_of_every_page_at_1280_and_390_px

bench: install
	$(BIN)/python bench/sql_and_throughput.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
