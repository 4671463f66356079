# Two commands on a fresh machine: `make run` and `make test` (see README).
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
# Settings: the environment, else .env (README, "Configuration"; every `flask` command reads .env
# too, through python-dotenv), else the defaults. Make reads only PORT itself, for `flask run`.
PORT    ?= $(or $(shell sed -n 's/^[[:space:]]*PORT[[:space:]]*=[[:space:]]*//p' .env 2>/dev/null | tr -d '"'"'"' ' | tail -n 1),5000)
export PORT
FLASK   := $(BIN)/flask --app app

.PHONY: run test venv deps test-deps browser proxy explorer db demo-data screenshots clean bench serve messages

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

.stamp-deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

.stamp-test-deps: requirements-test.txt .stamp-deps
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

# The catalogues (wizard/translations/<lang>/LC_MESSAGES/messages.po) compiled to .mo.
TRANSLATIONS := wizard/translations
MO := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))
$(TRANSLATIONS)/%.mo: $(TRANSLATIONS)/%.po .stamp-deps
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

deps: .stamp-deps $(MO)
test-deps: .stamp-test-deps $(MO) browser proxy

# Extract the marked text into messages.pot and bring every catalogue up to date (then translate
# what `msgstr ""` is left in each .po).
messages: .stamp-deps
	$(BIN)/pybabel extract -F babel.cfg -k T --sort-by-file --no-wrap -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-wrap --no-fuzzy-matching --ignore-obsolete

# Debian's Chromium (Playwright's own browser download does not work here), axe-core from npm, and
# GraphiQL from npm for the explorer's tests.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }
	@[ -f node_modules/axe-core/axe.min.js ] && [ -f node_modules/graphiql/graphiql.min.js ] || npm install --no-audit --no-fund --silent

# The development API explorer (GET /graphql in a browser, README): GraphiQL and React from npm,
# served from this origin. Without npm the server runs anyway and that page says how to add it.
explorer:
	@[ -f node_modules/graphiql/graphiql.min.js ] || { command -v npm >/dev/null 2>&1 \
	  && npm install --no-audit --no-fund --silent \
	  || echo "npm is not installed: the API explorer at GET /graphql is off until it is (README)"; }

# Debian's nginx: what stands in front of gunicorn in production (deploy/nginx/), run by
# tests/test_proxy.py against slow clients. Installed only; the test starts its own.
proxy:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nginx >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq nginx >/dev/null; fi; }

db: deps
	$(FLASK) db upgrade

demo-data: db
	$(FLASK) demo setup

run: demo-data explorer
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Production serving (README, "Production"): gunicorn with gunicorn.conf.py (sync workers from the
# CPU count), PostgreSQL from DATABASE_URL, JSON logs. Migrates first. Put nginx in front with
# deploy/nginx/wizard-site.conf (it includes deploy/nginx/wizard-proxy.conf): sync workers must
# only ever see whole requests, or a few slow clients hold them all.
serve: deps
	@[ -n "$$DATABASE_URL" ] || { echo "make serve needs DATABASE_URL (postgresql+psycopg://...)"; exit 2; }
	$(FLASK) db upgrade
	WIZARD_LOG_FORMAT=$${WIZARD_LOG_FORMAT:-json} $(BIN)/gunicorn --config gunicorn.conf.py app:app

test: test-deps
	bash .ci/test

# Measures this machine (bench/README.md): wrk from Debian, Locust from requirements-bench.txt,
# a scratch PostgreSQL database (BENCH_DATABASE_URL, emptied first).
.stamp-bench-deps: requirements-bench.txt .stamp-deps
	$(BIN)/pip install -q -r requirements-bench.txt
	touch $@

bench: .stamp-bench-deps
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null; fi; }
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

# The README's themed screenshot, from a real render: the themed browser journey shoots the review
# at popup size (test-artifacts/screenshots/), this copies it to docs/. test_layout.py shoots the
# review and the accounts at popup and phone size in English and Arabic
# (test-artifacts/screenshots/review-{en,ar}-{popup,phone}.png), failing when any two blocks overlap.
screenshots: test-deps
	$(BIN)/python -m pytest -q -p no:randomly tests/browser/test_themes_browser.py -k journey
	$(BIN)/python -m pytest -q -p no:randomly tests/browser/test_layout.py
	cp test-artifacts/screenshots/themed-review-popup.png docs/screenshot-themed.png
	WIZARD_DOC_SHOTS=1 $(BIN)/python -m pytest -q -p no:randomly tests/browser/test_console_browser.py  # docs/screenshot-console-*.png

clean:
	rm -rf $(VENV) .stamp-* node_modules
