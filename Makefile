# talos_homelab.tracing - the two commands of the README:
#   make demo   run the main job on the local homelab twin (before report, site playbook, after report)
#   make test   the whole suite (sanity, unit, lint, build, integration, molecule)
# Both create or reuse .venv (exactly requirements.lock), install Debian's Ceph packages when absent and
# build the Go tools of tools/go once into TOOLS_CACHE.

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
# Binaries built from tools/go/<name> (Go modules pinned by their go.mod/go.sum), once per version,
# outside the repository; tools/go/build.sh NAME prints where.
TOOLS_CACHE ?= $(HOME)/.cache/talos-homelab-tracing
export TOOLS_CACHE
# Tools that `make tools` (and so `make setup`) leaves out: built on demand with tools/go/build.sh NAME.
# The control plane of the default Kubernetes (kube, 1.34) and kine are built by setup (about 18 CPU
# minutes cold, once); the other minors (about 13 CPU minutes each) only when asked for.
TOOLS_ON_DEMAND ?= kube-1.31 kube-1.37

.PHONY: help demo test setup venv lock deps-latest tools ceph collections sanity unit lint changelog-lint build-check integration molecule summary clean

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

setup: venv ceph collections tools ## the venv, Debian's Ceph packages, the collections and the Go tools

venv: $(VENV)/.installed

# Exactly the lock, hashes required; a changed lock makes a new venv (nothing left from the old one).
$(VENV)/.installed: requirements.lock
	rm -rf $(VENV)
	$(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --require-hashes -r requirements.lock
	touch $@

lock: ## regenerate requirements.lock and requirements-sanity.lock from requirements-test.txt (uv, hashes)
	bash scripts/lock/lock.sh

deps-latest: ## newest versions the inputs allow (holds lifted) in a scratch venv: unit tests and build-check, what breaks
	bash scripts/lock/deps-latest.sh

tools: ## build the Go tools of tools/go into TOOLS_CACHE (once per version)
	@for m in tools/go/*/go.mod; do [ -e "$$m" ] || continue; n=$$(basename "$$(dirname "$$m")"); \
	  case " $(TOOLS_ON_DEMAND) " in *" $$n "*) continue ;; esac; tools/go/build.sh "$$n" >/dev/null; done

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
	TWIN_KUBE_BUILD=1 $(PY) -m pytest -q -n 2 --dist loadfile tests/integration --junitxml=$(REPORTS)/integration.xml

molecule: ## molecule test (default scenario) and the kind scenario's syntax check
	molecule test -s default
	bash scripts/kind-syntax-check.sh

clean: ## stop leftover twins, remove .build
	-for f in .twin/*.env; do [ -e "$$f" ] && $(PY) -m tests.twin down --env-file "$$f"; done
	rm -rf $(BUILD) .pytest_cache
