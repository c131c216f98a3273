"""The docker client, as every tool of dockerfiles/measure/ runs it: the
client the lab chose ($DOCKER, default: docker), and every command printed
before it runs, "$ " first, quoted so that it can be pasted back into a
shell (as the lab's shell steps print theirs)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence

DOCKER: str = os.environ.get("DOCKER") or "docker"


def shown(argv: Sequence[str]) -> str:
    """The command as a learner types it: the client as "docker" when that
    is the docker on PATH, else its full path; words quoted by shlex."""
    words = list(argv)
    on_path = shutil.which("docker")
    if words and words[0] == DOCKER and on_path and os.path.realpath(on_path) == os.path.realpath(shutil.which(DOCKER) or DOCKER):
        words[0] = "docker"
    return shlex.join(words)


def show(argv: Sequence[str]) -> None:
    """Print a command to stderr, "$ " first, before it runs."""
    print("$ " + shown(argv), file=sys.stderr, flush=True)


def say(message: str) -> None:
    """A progress line, as the shell steps' say prints it."""
    print(f"==> {message}", file=sys.stderr, flush=True)


def docker(*args: str) -> str:
    """Run a docker command, shown first; its stdout. A failure stops the
    program with one line: the command and the last line it printed."""
    argv = [DOCKER, *args]
    show(argv)
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        why = (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1]
        sys.exit(f"error: {shown(argv)} failed: {why}")
    return result.stdout
