#!/usr/bin/env python3
"""What the lab's shell steps ask of the host's Python, without a python3 -c:

  host.py free-port        a TCP port on 127.0.0.1 that nothing listens on now
  host.py has MODULE...    exit status 0 when every MODULE imports, else 1
                           (and a line naming the first that does not)
"""

from __future__ import annotations

import importlib
import socket
import sys


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: list[str]) -> int:
    if argv == ["free-port"]:
        print(free_port())
        return 0
    if len(argv) >= 2 and argv[0] == "has":
        for module in argv[1:]:
            try:
                importlib.import_module(module)
            except ImportError:
                print(f"no module {module} in {sys.executable}", file=sys.stderr)
                return 1
        return 0
    print("usage: host.py free-port | host.py has MODULE...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
