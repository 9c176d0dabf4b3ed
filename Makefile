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

.PHONY: help demo test setup venv ceph collections sanity unit lint changelog-lint build-check integration molecule summary clean

help: ## this list of targets
	@awk -F':.*## ' '/^[a-z-]+:.*## / { printf "  make %-16s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

demo: setup ## the main job on the local twin: before report, site playbook, after report
	bash scripts/demo.sh

test: setup ## the whole suite (what CI runs): sanity, unit, lint, changelog, build, integration, molecule
	@rm -rf $(REPORTS) && mkdir -p $(REPORTS)
	$(MAKE) --no-print-directory sanity
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory changelog-lint
	$(MAKE) --no-print-directory build-check
	$(MAKE) --no-print-directory integration
	$(MAKE) --no-print-directory molecule
	@$(PY) scripts/summary.py $(REPORTS)

setup: venv ceph collections ## the venv, Debian's Ceph packages and the collections

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-test.txt
	test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-test.txt
	touch $@

ceph:
	bash tests/twin/install-ceph.sh

collections: venv
	bash scripts/setup-collections.sh

sanity: ## ansible-test sanity (no ignore file)
	bash scripts/sanity.sh

unit: ## unit tests (module_utils, filters, twin)
	$(PY) -m pytest -q tests/unit --junitxml=$(REPORTS)/unit.xml

lint: ## ansible-lint production profile, ruff and yamllint
	ansible-lint --profile production -q
	ruff check --no-cache .
	yamllint --strict .

changelog-lint: ## antsibull-changelog lint
	antsibull-changelog lint

build-check: ## build the Galaxy tarball, install it, ansible-doc every plugin
	bash scripts/build-check.sh

integration: ## integration tests on the twin and the real RGW (two workers, one test file each: pytest-xdist)
	$(PY) -m pytest -q -n 2 --dist loadfile tests/integration --junitxml=$(REPORTS)/integration.xml

molecule: ## molecule test (default scenario) and the kind scenario's syntax check
	molecule test -s default
	bash scripts/kind-syntax-check.sh

clean: ## stop leftover twins, remove .build
	-for f in .twin/*.env; do [ -e "$$f" ] && $(PY) -m tests.twin down --env-file "$$f"; done
	rm -rf $(BUILD) .pytest_cache
