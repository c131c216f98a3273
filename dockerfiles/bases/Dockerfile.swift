# A local stand-in for the official swift:6.3-bookworm builder image: the
# lab's Debian slim base, the packages the official image installs, and the
# host's own Linux Swift toolchain. Where the host resolves SwiftPM
# dependencies from local git mirrors, the mirrors and the git settings
# that point at them come along, so `swift package resolve` needs no
# network. Built by `make bases BASES=local` from a staged context:
#   toolchain/usr/...   the toolchain (copied into /usr, as in the official image)
#   mirrors/...         the git mirrors, at their host paths (may be empty)
#   gitconfig           the url.<mirror>.insteadOf lines (may be empty)
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
# No SHELL instruction: an image inherits it, and the official image has
# none, so RUN lines of the lab's Dockerfiles run under /bin/sh -c on either
# builder (make test checks it).
# The official image's package list (swift-docker, 6.3/bookworm).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      binutils ca-certificates git gnupg2 libc6-dev libcurl4-openssl-dev libedit2 \
      libgcc-12-dev libncurses-dev libpython3-dev libsqlite3-0 libstdc++-12-dev \
      libxml2-dev libz3-dev pkg-config tzdata unzip zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
COPY toolchain/ /
COPY mirrors/ /
COPY gitconfig /etc/gitconfig
RUN swift --version
LABEL org.opencontainers.image.description="Local stand-in for swift:6.3-bookworm, built from Debian packages and the host's toolchain by the Swift multi-stage lab"
