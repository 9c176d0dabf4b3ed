# talos_homelab.tracing - the two commands of the README:
#   make demo   run the main job on the local homelab twin (before report, site playbook, after report)
#   make test   the whole suite (sanity, unit, lint, build, integration, molecule)
# Both create or reuse .venv, install Python packages from PyPI and Debian's Ceph packages when absent.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
PYTHON3 ?= python3
BUILD := $(ROOT)/.build
REPORTS := $(BUILD)/reports
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(BUILD)/collections:$(BUILD)/galaxy
export ANSIBLE_NOCOLOR := 1
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test setup venv ceph collections sanity unit lint changelog-lint build-check integration molecule summary clean

demo: setup
	bash scripts/demo.sh

test: setup
	@rm -rf $(REPORTS) && mkdir -p $(REPORTS)
	$(MAKE) --no-print-directory sanity
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory changelog-lint
	$(MAKE) --no-print-directory build-check
	$(MAKE) --no-print-directory integration
	$(MAKE) --no-print-directory molecule
	@$(PY) scripts/summary.py $(REPORTS)

setup: venv ceph collections

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-test.txt
	test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-test.txt
	touch $@

ceph:
	bash tests/twin/install-ceph.sh

collections: venv
	bash scripts/setup-collections.sh

sanity:
	bash scripts/sanity.sh

unit:
	$(PY) -m pytest -q tests/unit --junitxml=$(REPORTS)/unit.xml

lint:
	ansible-lint --profile production -q

changelog-lint:
	antsibull-changelog lint

build-check:
	bash scripts/build-check.sh

integration:
	$(PY) -m pytest -q tests/integration --junitxml=$(REPORTS)/integration.xml

molecule:
	molecule test -s default
	bash scripts/kind-syntax-check.sh

clean:
	-for f in .twin/*.env; do [ -e "$$f" ] && $(PY) -m tests.twin down --env-file "$$f"; done
	rm -rf $(BUILD) .pytest_cache
