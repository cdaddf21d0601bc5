# Quick start: `make run` (the app on SQLite with demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
export APP_ENV ?= development

.PHONY: run test test-browser lint format bench clean translations messages mutation mutation-focus

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# The Spanish catalog is compiled from translations/es/LC_MESSAGES/messages.po (the .mo is not committed).
translations: $(VENV)/.runtime
	$(BIN)/pybabel compile -d translations

# After wrapping new text: refresh messages.pot and merge it into every .po, then translate.
messages: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k msg --no-location --sort-output -o messages.pot .
	$(BIN)/pybabel update -i messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

# axe-core for the accessibility browser tests, in a git-ignored folder.
.axe/node_modules/axe-core/axe.min.js:
	npm install --silent --no-audit --no-fund --prefix .axe axe-core@4

run: $(VENV)/.runtime translations
	$(FLASK) init-db
	$(FLASK) seed-demo --if-empty
	@echo "Demo sign-ins: admin@example.org / demo-admin-pass-2026, coordinator@example.org / demo-coord-pass-2026,"
	@echo "               staff@example.org / demo-staff-pass-2026, funder@example.org / demo-funder-pass-2026,"
	@echo "               partner@example.org / demo-partner-pass-2026"
	@echo "Serving http://127.0.0.1:5000"
	$(FLASK) run --host 127.0.0.1 --port 5000

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Runs ruff, then the suite (browser tests excluded: `make test-browser`).
# pytest exits 5 when it collected no tests; make treats that as the failure it is.
test: lint translations
	$(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

test-browser: $(VENV)/.dev translations .axe/node_modules/axe-core/axe.min.js
	$(BIN)/pytest -m browser $(PYTEST_ARGS)

bench: $(VENV)/.dev
	$(BIN)/python -m bench

# Mutation testing of the core modules ([tool.mutmut] in pyproject.toml; hours on 2 cores).
# Prints the score per module and the surviving mutants; `mutmut show NAME` shows one.
mutation: $(VENV)/.dev translations
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2
	$(BIN)/python tests/mutation_score.py

# One module's mutants against a few test files (see tests/mutation_focus.py), e.g.
# make mutation-focus MODULE=supplies.services.imports.values TESTS=tests/imports/test_reading.py
mutation-focus: $(VENV)/.dev translations
	$(BIN)/python tests/mutation_focus.py $(MODULE) $(TESTS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
