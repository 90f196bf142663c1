# AI Career Advisor: `make run` starts everything, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Rasa 3.6 needs Python 3.10. pyenv machines have it without making it the
# default (a bare `python3.10` shim fails there), so try PATH, then pyenv.
PYTHON310 := $(shell for p in python3.10 $$(ls -d $$(pyenv root 2>/dev/null)/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V | tail -n 1); do \
	if "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then command -v "$$p"; break; fi; done)

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
RASA := $(BIN)/rasa
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONDONTWRITEBYTECODE := 1
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

DATA_DIR := var
# One URL for the project database and Rasa's tracker store; PostgreSQL by
# setting DATABASE_URL=postgresql://user:password@host:5432/advisor.
DATABASE_URL ?= sqlite:///$(CURDIR)/$(DATA_DIR)/advisor.db
ACTION_ENDPOINT_URL ?= http://127.0.0.1:5055/webhook
export DATABASE_URL ACTION_ENDPOINT_URL
SEED_STAMP := $(DATA_DIR)/.seeded-$(shell printf '%s' '$(DATABASE_URL)' | md5sum | cut -c1-12)
SPACY_DIR := build/spacy-en
GENERATED_NLU := data/nlu/generated/synonyms.yml
KNOWLEDGE := $(wildcard data/knowledge/*.yml)
TRAINING_DATA := $(shell find data/nlu data/rules data/stories -name '*.yml' -not -path 'data/nlu/generated/*' 2>/dev/null)
MODEL_STAMP := models/.trained
# Rasa's training data; data/knowledge (the knowledge base) is kept out of it.
RASA_DATA := data/nlu data/rules data/stories

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# --- install ---------------------------------------------------------------
.PHONY: install
install: $(VENV)/.installed ## Create .venv and install the pinned dependencies

$(VENV)/.installed: pyproject.toml constraints.txt
	@if [ ! -x "$(PY)" ]; then \
		if [ -z "$(PYTHON310)" ]; then \
			echo "Python 3.10 not found: neither 'python3.10' on PATH nor \$$(pyenv root)/versions/3.10.*/bin/python3.10."; \
			echo "Install it (e.g. 'pyenv install 3.10') and run make again."; exit 1; \
		fi; \
		echo "Creating $(VENV) with $(PYTHON310)"; \
		"$(PYTHON310)" -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check "pip==24.0"
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@touch $@

.PHONY: lock
lock: ## Re-resolve the dependencies and rewrite constraints.txt
	rm -rf /tmp/advisor-lock && "$(PYTHON310)" -m venv /tmp/advisor-lock
	/tmp/advisor-lock/bin/pip install --quiet "pip==24.0" && /tmp/advisor-lock/bin/pip install --quiet -e ".[dev]"
	{ head -n 2 constraints.txt; /tmp/advisor-lock/bin/pip freeze --exclude-editable | grep -v '^ai-career-advisor'; } > constraints.new && mv constraints.new constraints.txt

# The widget (rasa-webchat) and other front-end packages, from the lock file.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js and npm."; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

# make scale (docs/scale.md): Debian's nginx and Redis, run in the
# foreground by scripts/scale.py (no system service); installed with apt when missing.
NGINX := /usr/sbin/nginx
REDIS_SERVER := /usr/bin/redis-server
$(NGINX) $(REDIS_SERVER):
	@echo "Installing Debian's nginx and redis-server for make scale and its test"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx redis-server

# Browser tests drive Debian's chromium (Playwright's own browser download
# cannot work here); installed with apt when missing.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@echo "Installing Debian's chromium for the browser tests"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# --- build: database, knowledge base, NLP assets ----------------------------
.PHONY: db build
db: $(SEED_STAMP) ## Create or upgrade the database and seed the knowledge base

# One stamp per database URL, so that pointing DATABASE_URL at a new database
# (PostgreSQL, say) migrates and seeds it.
$(SEED_STAMP): $(VENV)/.installed $(KNOWLEDGE) $(wildcard bot/knowledge/*.py bot/migrations/versions/*.py)
	$(BIN)/advisor seed
	@mkdir -p $(DATA_DIR) && touch $@

build: $(SPACY_DIR)/.built ## Build the spaCy pipeline and the generated NLU files

# Built from the knowledge base's content: rebuilt when the content or the
# builder changes, not when another database is seeded with the same content.
$(SPACY_DIR)/.built: $(KNOWLEDGE) $(wildcard bot/nlp/*.py) bot/knowledge/places.py $(wildcard data/nlu/lookups/*.yml) | $(SEED_STAMP)
	$(BIN)/advisor build-nlp
	@touch $@

# --- train -----------------------------------------------------------------
.PHONY: train
train: $(MODEL_STAMP) ## Train the Rasa model if its inputs changed

# SpacyNLP's fingerprint is only the pipeline's path, so Rasa's cache cannot see
# a rebuilt pipeline: force a full training run when it changed.
$(MODEL_STAMP): $(SPACY_DIR)/.built config.yml domain.yml $(TRAINING_DATA)
	$(RASA) train --quiet --num-threads 2 --data $(RASA_DATA) --out models --fixed-model-name advisor \
		$(if $(filter $(SPACY_DIR)/.built,$?),--force,)
	@touch $@

# --- run -------------------------------------------------------------------
.PHONY: run
run: $(MODEL_STAMP) node_modules/.installed ## Install, build, train if needed, start every process
	@echo ""
	@echo "  Website with the chat widget:   http://localhost:8000"
	@echo "  Staff console:                  http://localhost:8000/console  (first admin: .venv/bin/advisor staff add EMAIL --role admin)"
	@echo "  Rasa server (REST, socket.io):  http://localhost:5005  (REST: POST /webhooks/rest/webhook)"
	@echo "  Action server:                  http://localhost:5055/health"
	@echo "  Stop everything with Ctrl-C."
	@echo ""
	$(BIN)/honcho start -f Procfile

.PHONY: shell
shell: $(MODEL_STAMP) ## Talk to the bot in the terminal, in its language (starts the action server)
	$(BIN)/honcho start -f Procfile actions & pid=$$!; \
	trap "kill $$pid 2>/dev/null" EXIT; \
	$(BIN)/python -m bot.rasa_runtime.shell --model models/advisor.tar.gz --endpoints endpoints.yml

# --- quality -----------------------------------------------------------------
.PHONY: lint format
lint: $(VENV)/.installed ## ruff check + format check
	$(BIN)/ruff check bot actions tests scripts
	$(BIN)/ruff format --check bot actions tests scripts

format: $(VENV)/.installed ## Format the code with ruff
	$(BIN)/ruff check --fix bot actions tests scripts
	$(BIN)/ruff format bot actions tests scripts

.PHONY: test validate test-stories pytest
test: lint validate pytest test-stories ## Install, then run every test

# Rasa 3.6 warns about every response that only custom actions or forms send,
# so --fail-on-warnings cannot pass; tests/integration/test_training_data.py fails on every
# other warning and checks that each "unused" response really is sent by code.
validate: $(MODEL_STAMP) ## rasa data validate (errors fail; warnings are checked by pytest)
	$(RASA) data validate --quiet --data $(RASA_DATA)

# tests/integration/test_postgres.py runs the same code on Debian's PostgreSQL, started
# (and installed when missing) by scripts/postgres-test-db.sh.
pytest: $(MODEL_STAMP) node_modules/.installed $(CHROMIUM) $(NGINX) $(REDIS_SERVER)
	ADVISOR_TEST_POSTGRES_URL=$$(bash scripts/postgres-test-db.sh) $(BIN)/pytest

test-stories: $(MODEL_STAMP) ## Rasa test stories against the trained model and the action server
	bash scripts/test-stories.sh

.PHONY: eval
eval: $(MODEL_STAMP) ## 5-fold cross-validation of the NLU and the held-out set
	$(PY) scripts/evaluate.py

.PHONY: bench bench-widget
bench: $(MODEL_STAMP) node_modules/.installed $(CHROMIUM) $(NGINX) $(REDIS_SERVER) ## Latency, throughput, memory, start and train times vs a stock bot; console pages; the widget -> docs/bench*.md
	$(PY) scripts/bench.py
	$(PY) scripts/bench_console.py
	$(PY) scripts/bench_widget.py

# What a visitor sees: send -> first and last bubble of each answer, in chromium.
bench-widget: $(MODEL_STAMP) node_modules/.installed $(CHROMIUM) ## The widget in chromium: send -> first and last bubble -> docs/bench-widget.md
	$(PY) scripts/bench_widget.py

# Pictures of the site, the widget (desktop and phone) and the console, made
# by talking to the bot on a temporary data folder.
.PHONY: screenshots
screenshots: $(MODEL_STAMP) node_modules/.installed $(CHROMIUM) ## Current PNGs of the site, the widget and the console -> docs/screenshots/
	$(PY) scripts/screenshots.py

# --- beyond one machine --------------------------------------------------------
.PHONY: scale
scale: $(MODEL_STAMP) node_modules/.installed $(NGINX) $(REDIS_SERVER) ## 2 Rasa servers, 2 action servers behind nginx, on PostgreSQL and Redis
	$(PY) scripts/scale.py

.PHONY: soak
soak: $(MODEL_STAMP) ## 10 min, 8 senders on loopback: errors, tracker store, memory -> docs/soak.md
	$(PY) scripts/soak.py

.PHONY: clean
clean: ## Remove built and trained artefacts (keeps .venv and the database)
	rm -rf build models results data/nlu/generated .rasa
