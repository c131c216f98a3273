#!/usr/bin/env python3
"""Run-time figures of one image (make bench, docs/09-results.md).

  bench.py image IMAGE --port PORT [--startup-runs N] [--load-seconds S]
                 [--connections C] [--run-arg ARG]...

prints one JSON object on stdout, and on stderr every docker command it
runs, so that a learner can run them by hand:

  startup   N times: `docker run -d --network host` with HOST=127.0.0.1 and
            PORT, then GET /healthz every 5 ms until the first 200; the
            time from just before `docker run` to that answer, in ms.
  memory    the resident memory of the container's processes (the sum of
            their VmRSS, read from the container's own /proc by a helper
            container from the lab's Debian base, $PROBE_IMAGE, that
            shares its process namespace), idle 2 s after the
            first 200, and again right after the load; and the part of it
            that is the processes' own (RssAnon: heap and stacks), not
            pages of the image's files (the binary's code), which every
            container of the same image shares through the page cache.
  load      wrk on / over loopback, for S seconds, 2 threads and C
            connections: requests per second and the p50 and p99 latency.
            wrk runs in a container too ($WRK_IMAGE, which make bench
            builds), on the host's network beside the server: nothing to
            install on the host, and on Docker Desktop both are in its
            virtual machine, so it measures the server, not the port
            forwarding to your Mac or PC.

  bench.py startup IMAGE --port PORT [--run-arg ARG]...

one start-up, as above. make bench takes them round by round, every image
once a round, so that whatever else the machine does meanwhile falls on
every image alike, and hands them to `image --startups-file`.

  bench.py cold REFERENCE --port PORT [--run-arg ARG]... [--no-run]

docker pull REFERENCE (an image the engine does not have), then docker
run it as above until the first 200: the ms of each, and their sum (a cold
start). make bench runs it against a second, empty engine.

Host networking, on loopback: the server, not Docker's userland proxy,
which caps a published port at a few thousand requests a second here.
Request logging stays as the image ships it (on): every request writes a
line, which Docker's log driver stores.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

from dockercli import DOCKER, docker, say, show

WRK_IMAGE = os.environ.get("WRK_IMAGE") or "swiftlab-tools/wrk"
PROBE_IMAGE = os.environ.get("PROBE_IMAGE") or "debian:trixie-slim"
POLL_SECONDS = 0.005
# The helper's shell reads every process's status but its own, with
# builtins only, so that it starts no other process to count.
MEMORY_SCRIPT = r"""for status in /proc/[0-9]*/status; do
  pid=${status#/proc/}; [ "${pid%/status}" = "$$" ] && continue
  while read -r key value _; do
    case $key in VmRSS:) echo "rss $value" ;; RssAnon:) echo "anon $value" ;; esac
  done <"$status"
done"""
STARTUP_LIMIT_SECONDS = 60


def answers_200(port: int) -> bool:
    """True when GET /healthz on 127.0.0.1:PORT answers 200 now."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return connection.recv(64).split(b"\r\n", 1)[0].split(b" ")[1:2] == [b"200"]
    except (OSError, IndexError):
        return False


def logs(name: str) -> str:
    result = subprocess.run([DOCKER, "logs", "--tail", "20", name], capture_output=True, text=True)
    return (result.stdout + result.stderr).strip()


def running(name: str) -> bool:
    result = subprocess.run([DOCKER, "inspect", "--format", "{{.State.Running}}", name], capture_output=True, text=True)
    return result.stdout.strip() == "true"


def start(image: str, name: str, port: int, run_args: Sequence[str]) -> float:
    """docker run it on the host's network; the ms until the first 200."""
    argv = [DOCKER, "run", "-d", "--name", name, "--network", "host",
            "-e", "HOST=127.0.0.1", "-e", f"PORT={port}", *run_args, image]
    show(argv)
    began = time.monotonic()
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"error: docker run {image} failed: {(result.stderr.strip().splitlines() or ['?'])[-1]}")
    checked = began
    while True:
        if answers_200(port):
            return (time.monotonic() - began) * 1000
        now = time.monotonic()
        if now - began > STARTUP_LIMIT_SECONDS:
            sys.exit(f"error: {image} did not answer 200 on 127.0.0.1:{port}/healthz within "
                     f"{STARTUP_LIMIT_SECONDS} s; its last logs:\n{logs(name)}")
        if now - checked > 0.5:
            checked = now
            if not running(name):
                sys.exit(f"error: {image} exited before answering on 127.0.0.1:{port}; its last logs:\n{logs(name)}")
        time.sleep(POLL_SECONDS)


def remove(name: str) -> None:
    subprocess.run([DOCKER, "rm", "-fv", name], capture_output=True)


@contextlib.contextmanager
def container_name() -> Iterator[str]:
    """This process's container name, free before and removed after."""
    name = f"swiftlab-bench-{os.getpid()}"
    remove(name)
    try:
        yield name
    finally:
        remove(name)


def resident_kb(name: str) -> tuple[int, int]:
    """The sums of VmRSS and of RssAnon over the container's processes, in
    kB, from its own /proc (a helper container in its process namespace)."""
    text = docker("run", "--rm", "--pid", f"container:{name}", "--network", "none", PROBE_IMAGE, "sh", "-c", MEMORY_SCRIPT)
    total = own = 0
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "rss":
            total += int(value)
        elif key == "anon":
            own += int(value)
    if total == 0:
        sys.exit(f"error: no process of {name} found in its /proc")
    return total, own


def wrk(port: int, seconds: int, connections: int) -> dict[str, float]:
    """wrk against / on loopback: requests per second, p50 and p99 in ms."""
    argv = [DOCKER, "run", "--rm", "--network", "host", WRK_IMAGE,
            "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{port}/"]
    show(argv)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30)
    if result.returncode != 0:
        sys.exit(f"error: wrk failed: {(result.stderr.strip().splitlines() or ['?'])[-1]}")
    text = result.stdout

    def latency(percent: int) -> float:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if not match:
            sys.exit(f"error: no {percent}% latency in wrk's output:\n{text}")
        return float(match.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[match.group(2)]

    rate = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {
        "requests_per_second": float(rate.group(1)) if rate else 0.0,
        "p50_ms": latency(50), "p99_ms": latency(99),
        "requests": int(re.search(r"(\d+) requests in", text).group(1)),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sum(map(int, sockets.groups())) if sockets else 0,
    }


def bench_image(args: argparse.Namespace) -> dict[str, Any]:
    startup = []
    with container_name() as name:
        if args.startups_file:
            with open(args.startups_file) as measured:
                startup = [float(line) for line in measured if line.strip()]
            if len(startup) < 1:
                sys.exit(f"error: no start-up times in {args.startups_file}")
        for run in range(1, 0 if args.startups_file else args.startup_runs + 1):
            startup.append(start(args.image, name, args.port, args.run_arg))
            say(f"{args.image}: start-up {run}/{args.startup_runs}: {startup[-1]:.0f} ms")
            remove(name)
        start(args.image, name, args.port, args.run_arg)
        time.sleep(2)
        idle, idle_own = resident_kb(name)
        say(f"{args.image}: {idle / 1024:.1f} MiB resident when idle ({idle_own / 1024:.1f} MiB its own); wrk for {args.load_seconds} s")
        load = wrk(args.port, args.load_seconds, args.connections)
        loaded, loaded_own = resident_kb(name)
        if not running(name):
            sys.exit(f"error: {args.image} stopped under load; its last logs:\n{logs(name)}")
        say(f"{args.image}: {load['requests_per_second']:.0f} requests/s, p50 {load['p50_ms']:.2f} ms, "
            f"p99 {load['p99_ms']:.2f} ms; {loaded / 1024:.1f} MiB resident after ({loaded_own / 1024:.1f} MiB its own)")
    ordered = sorted(startup)
    return {
        "image": args.image,
        "startup_ms": {"runs": [round(value, 1) for value in startup],
                       "median": round(statistics.median(startup), 1),
                       "min": round(ordered[0], 1), "max": round(ordered[-1], 1),
                       "stdev": round(statistics.stdev(startup), 1) if len(startup) > 1 else 0.0},
        "memory_kb": {"idle": idle, "after_load": loaded, "idle_own": idle_own, "after_load_own": loaded_own},
        "load": {"seconds": args.load_seconds, "connections": args.connections, **load},
    }


def cold(args: argparse.Namespace) -> dict[str, float | None]:
    """docker pull REF, then docker run it: the ms of each, and in all."""
    argv = [DOCKER, "pull", "-q", args.reference]
    show(argv)
    began = time.monotonic()
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"error: docker pull {args.reference} failed: {(result.stderr.strip().splitlines() or ['?'])[-1]}")
    pulled = (time.monotonic() - began) * 1000
    with container_name() as name:
        started = start(args.reference, name, args.port, args.run_arg) if args.run else None
    return {"pull_ms": round(pulled, 1), "startup_ms": None if started is None else round(started, 1),
            "cold_start_ms": None if started is None else round(pulled + started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    image = commands.add_parser("image", help="start-up, memory and load figures of one image")
    image.add_argument("image")
    image.add_argument("--port", type=int, required=True)
    image.add_argument("--startup-runs", type=int, default=10)
    image.add_argument("--load-seconds", type=int, default=10)
    image.add_argument("--connections", type=int, default=32)
    image.add_argument("--run-arg", action="append", default=[])
    image.add_argument("--startups-file", help="start-up times measured already (ms, one a line), instead of --startup-runs")
    once = commands.add_parser("startup", help="one start-up: docker run to the first 200, in ms")
    once.add_argument("image")
    once.add_argument("--port", type=int, required=True)
    once.add_argument("--run-arg", action="append", default=[])
    pull = commands.add_parser("cold", help="pull an image that is absent, then run it until the first 200")
    pull.add_argument("reference", help="the image in a registry")
    pull.add_argument("--port", type=int, required=True)
    pull.add_argument("--run-arg", action="append", default=[])
    pull.add_argument("--no-run", dest="run", action="store_false", help="pull only")
    args = parser.parse_args()
    if not 1 <= args.port <= 65535:
        parser.error(f"--port {args.port}: expected a port from 1 to 65535")
    if args.command == "cold":
        figures = cold(args)
    elif args.command == "startup":
        with container_name() as name:
            figures = {"image": args.image, "startup_ms": round(start(args.image, name, args.port, args.run_arg), 1)}
    else:
        if args.startup_runs < 1 or args.load_seconds < 1 or args.connections < 1:
            parser.error("--startup-runs, --load-seconds and --connections must be at least 1")
        figures = bench_image(args)
    json.dump(figures, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
