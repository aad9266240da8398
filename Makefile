# Every target builds what it needs from nothing: a fresh clone and `make test` is all CI does.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The collection must be importable as ansible_collections.procall.msteams (reference/tooling.md);
# a relative symlink under .build/ gives that without moving the repo.
COLLECTIONS := $(CURDIR)/.build/collections
COLLECTION_LINK := .build/collections/ansible_collections/procall/msteams
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PYTHONPATH := $(COLLECTIONS):$(CURDIR)
# Two workers: the playbook runs wait on subprocesses much of the time (2 cores: env README).
# --dist load --maxschedchunk 1: tests go out one by one, the end-to-end playbook runs first
# (conftest.py orders them), so both workers stay busy to the end. Every test builds its own world
# and passes under any distribution (`--dist loadfile` too).
PYTEST_ARGS ?= -n 2 --dist load --maxschedchunk 1

.PHONY: help venv collection-link test lint ruff yamllint ansible-lint sanity units demo compat sanity-compat galaxy-import emulator build clean

help:
	@echo "make demo   - onboarding + secret rotation against the Graph emulator and simulated UCServer hosts"
	@echo "make test   - every check: ruff, yamllint, ansible-lint, ansible-test sanity, pytest"
	@echo "make compat - the support matrix: unit tests + the verified demo flow on every ansible-core 2.16-2.20"
	@echo "              (one venv per version under .build/compat; COMPAT_CELLS=2.16,2.20 picks some)"
	@echo "make lint | sanity | sanity-compat | galaxy-import | units | build | emulator"

$(BIN)/.installed: requirements.txt requirements-dev.txt tests/compat/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

collection-link:
	@mkdir -p $(dir $(COLLECTION_LINK))
	@test -L $(COLLECTION_LINK) || ln -s ../../../.. $(COLLECTION_LINK)

test: lint sanity units

lint: ruff yamllint ansible-lint

ruff: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check --diff .

yamllint: venv
	$(BIN)/yamllint --strict .

ansible-lint: venv collection-link
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/ansible-lint --offline --strict --profile production

sanity: venv
	PATH=$(CURDIR)/$(BIN):$$PATH hack/sanity.sh

units: venv collection-link
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m pytest $(PYTEST_ARGS)

demo: venv collection-link
	PATH=$(CURDIR)/$(BIN):$$PATH hack/demo.sh

# One venv per other ansible-core minor (reused while the requirement files are unchanged); unit
# tests + the demo flow in each, the main venv's demo numbers as the reference (hack/compat.py).
COMPAT_CELLS ?=
COMPAT_JOBS ?= 2
compat: venv collection-link
	$(PYTHON) hack/compat.py --main-python $(CURDIR)/$(BIN)/python --jobs $(COMPAT_JOBS) $(if $(COMPAT_CELLS),--cells $(COMPAT_CELLS))

# ansible-test sanity with the oldest and the newest supported ansible-test too (not in .ci/run:
# each ansible-test version builds its own tool venvs, minutes on a 2-core machine).
sanity-compat: venv collection-link
	$(PYTHON) hack/compat.py --main-python $(CURDIR)/$(BIN)/python --cells 2.16,2.20 --units-only --sanity 2.16,2.20

# galaxy-importer (Galaxy's and Automation Hub's upload check) on the built artifact, in its own
# venv under .build/ (it pins its own ansible-core and ansible-lint): 0 errors or it fails.
galaxy-import: venv
	PATH=$(CURDIR)/$(BIN):$$PATH hack/galaxy-import.sh

emulator: venv
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m tests.emulator $(EMULATOR_ARGS)

build: venv
	$(BIN)/ansible-galaxy collection build --force --output-path .build/dist

clean:
	rm -rf .build tests/output .pytest_cache
