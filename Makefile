# praxisfinder: `make run` sets everything up and serves; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PF := $(VENV)/bin/praxisfinder
PYTEST_ARGS ?=
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

DING := /usr/share/trans/de-en
CHROMIUM := /usr/bin/chromium

.PHONY: install model index run test test-fast system-deps browser-deps bench eval clean

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	@# wheels whose lock line carries "# --hash=sha256:..." are installed first with their checksums checked
	grep -E '^[^#].*  # --hash=sha256:' requirements.lock | sed 's/  # --hash/ --hash/' > $(VENV)/hashed.txt
	$(PIP) install -q --require-hashes --no-deps -r $(VENV)/hashed.txt
	$(PIP) install -q -c requirements.lock -e ".[dev,peer,postgres]"
	touch $@

install: $(VENV)/.installed system-deps

# Debian packages (root installs them; others are told what to install):
# the Ding German-English dictionary for cross-lingual BM25, Chromium for browser tests.
APT_INSTALL = if [ "$$(id -u)" = 0 ]; then (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1); else echo "please run: sudo apt-get install $(1)"; exit 1; fi

system-deps:
	@test -f $(DING) || { $(call APT_INSTALL,trans-de-en); }

browser-deps:
	@test -x $(CHROMIUM) || { $(call APT_INSTALL,chromium); }

model: install
	$(PF) provision

index: model
	$(PF) ingest

run: index
	$(PF) serve

test: index browser-deps
	@set +e; $(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then \
	  echo "pytest collected no tests"; \
	  if [ -n "$(PYTEST_ARGS)" ]; then exit 0; else exit 1; fi; \
	fi; exit $$rc

# unit tests only: no real model, no browser, no subprocesses or live servers; two workers (pytest-xdist)
test-fast: install
	$(PY) -m pytest -m "not slow and not browser and not integration" -n 2 $(PYTEST_ARGS)

clean:
	rm -rf var .pytest_cache
