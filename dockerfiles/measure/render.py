#!/usr/bin/env python3
"""Prints a step's tables, in Markdown, from its results file alone.

  render.py STEP RESULTS_DIR [--only TABLE]

STEP is sizes, bench, scan, analyze, bench-build or ci-cache (also layers
and binary, make report's own readings); --only picks one of its tables by
its id (table-reproducible, say). The tables are tables.py's, the same that
make report puts on its page. A missing or unreadable results file is one
line and exit status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import tables


def render(step: str, results: Path, only: str | None = None) -> str:
    file, build = tables.TABLES[step]
    r = tables.Results(results)
    try:
        data = r.load(file)
    except (OSError, json.JSONDecodeError) as error:
        raise SystemExit(f"error: cannot read {results / file}: {error}") from None
    if data is None:
        raise SystemExit(f"error: no {results / file} (run: make {step})")
    try:
        built = build(r)
    except (KeyError, IndexError, TypeError, AttributeError) as error:
        raise SystemExit(f"error: {results / file} is not what make {step} writes ({type(error).__name__}: {error})") from None
    if only:
        built = [table for table in built if table.anchor == only]
        if not built:
            raise SystemExit(f"error: make {step} has no table {only}")
    return "\n\n".join("\n".join(table.markdown()) for table in built) + "\n"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="render.py", description="A step's tables, in Markdown, from its results file.")
    parser.add_argument("step", choices=sorted(tables.TABLES))
    parser.add_argument("results", type=Path)
    parser.add_argument("--only", metavar="TABLE", help="one of the step's tables, by its id")
    args = parser.parse_args(argv)
    sys.stdout.write(render(args.step, args.results, args.only))


if __name__ == "__main__":
    main(sys.argv[1:])
