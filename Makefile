# The two entry points the README names: `make run` and `make test` (and the targets CI adds).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: install translations run test test-pgbouncer soak lint check-deploy migrations-check benchmark clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## The .mo catalogues are built here from the .po files, never committed.
translations: install
	$(PY) manage.py compile_translations

## Embedded default: SQLite under var/, tasks in-process, demo agency and users.
run: translations
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py write_checkpoints  # the embedded mode has no beat to sign the audit chain heads
	@echo "Serving on http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/docs/)"
	@# the demo's fake WeChat API and webhook receiver run beside the web server, which
	@# serves as production does: DEBUG off, static files by WhiteNoise, the product's 404
	$(PY) manage.py demo_channels & channels=$$!; \
	trap 'kill $$channels 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver --nostatic $(HOST):$(PORT)

## Tests against real PostgreSQL and Redis (override TEST_DATABASE_URL / TEST_REDIS_URL):
## everything directly, except the integration tests (tests/integration: races, real
## workers, faults), which then run through PgBouncer in transaction pooling mode, as in
## docker-compose (test-pgbouncer; directly if pgbouncer is not installed, unless
## REQUIRE_SERVICES=1). `pytest tests/integration` runs them directly.
test: translations
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(PY) -m pytest --ignore=tests/integration $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-pgbouncer

## The integration tests (races, real workers, faults) through a PgBouncer in transaction
## pooling mode: Debian's pgbouncer, started by testsupport/pgbouncer.py on
## 127.0.0.1:$(PGBOUNCER_PORT) in front of the same PostgreSQL. `test` ends with it.
PGBOUNCER_PORT ?= 6432
test-pgbouncer: translations
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(PY) -m testsupport.pgbouncer --port $(PGBOUNCER_PORT) -- \
		$(PY) -m pytest tests/integration $(PYTEST_ARGS)

## The stateful test of the service layer, long: 100,000 random steps (`make test` runs 2,500).
soak: translations
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		STATEFUL_STEPS=$${STATEFUL_STEPS:-100000} \
		$(PY) -m pytest -n 0 -s tests/invariants/test_stateful.py $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

check-deploy: translations
	SECRET_KEY=$$(openssl rand -hex 32) AUDIT_SIGNING_KEY=$$(openssl rand -base64 32) \
		ALLOWED_HOSTS=disclosure.example.gov.cn \
		DJANGO_SETTINGS_MODULE=config.settings.production \
		$(PY) manage.py check --deploy --fail-level WARNING

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

benchmark: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) benchmarks/review_pipeline.py

clean:
	rm -rf $(VENV) var .pytest_cache
