# The two commands a newcomer needs: `make run` and `make test` (see README).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make run` is for development: DEBUG on (throwaway SECRET_KEY, local hosts, file email backend).
DEV := DEBUG=1

.PHONY: run test lint bench fuzz venv clean

# Rebuilt whenever a pin changes; the stamp is written only after pip succeeded.
$(STAMP): requirements/base.txt requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $(STAMP)

venv: $(STAMP)

# Honcho runs the processes of Procfile.dev from the venv (PATH) and, on Ctrl-C,
# stops all three; it exits as soon as any one of them dies.
run: $(STAMP)
	mkdir -p var/mail
	$(DEV) $(BIN)/python manage.py migrate --noinput
	$(DEV) $(BIN)/python manage.py seed_demo --if-empty
	PATH="$(CURDIR)/$(BIN):$$PATH" $(DEV) $(BIN)/honcho -f Procfile.dev start

# One xdist worker per core: the suite is database-bound and each worker has its own test database.
PYTEST_ARGS ?= -n auto
# Bytecode is cached even where the environment turns it off: recompiling and re-rewriting every test module in
# each worker costs about 8 s of CPU a run.
test: $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest $(PYTEST_ARGS)

# Benchmarks print figures; they assert nothing. They run on a database of their own (the reminders
# benchmark sends whatever is due in it); give BENCH_DATABASE_URL=postgres://… to measure production.
BENCH_DATABASE_URL ?= sqlite:///$(CURDIR)/var/bench.sqlite3
BENCH := $(DEV) DATABASE_URL=$(BENCH_DATABASE_URL)
bench: $(STAMP)
	mkdir -p var
	$(BENCH) $(BIN)/python manage.py migrate --noinput -v0
	$(BENCH) $(BIN)/python manage.py bench_compliance --mentors 100000 --partners 100
	$(BENCH) $(BIN)/python manage.py bench_scorecard --mentors 100000 --partners 100
	$(BENCH) $(BIN)/python manage.py bench_reminders --people 100000 --partners 100
	$(BENCH) $(BIN)/python manage.py bench_lists --sessions 10000

# Schemathesis against a server of its own (.ci/fuzz, which CI runs too): every operation as a coordinator and as a
# licensor admin; fails on a 5xx or an answer the OpenAPI schema does not describe. SQLite in a throwaway directory,
# or FUZZ_DATABASE_URL=postgres://… (a database it may empty).
fuzz: $(STAMP)
	bash .ci/fuzz

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var staticfiles
