# The two commands: `make run` (set up and serve with demo data) and `make test` (the whole suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install migrate demo serve check lint clean prod-check

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

run: demo
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py runserver 127.0.0.1:8000

check: install
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py migrations_lock

lint: install
	$(BIN)/ruff check .

test: check lint
	$(BIN)/python -m pytest -p no:cacheprovider -n 2 --dist loadfile --durations=10

# Production settings, end to end: gunicorn + worker + beat on the local PostgreSQL (throwaway
# database) and Redis; a signed lead in over HTTP, forwarded out to a local receiver.
prod-check: install
	$(BIN)/python scripts/prod_check.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles
