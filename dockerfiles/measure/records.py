#!/usr/bin/env python3
"""The JSON records that the lab's measuring steps write, built from what
the steps measured: the one place where a reading becomes a record, so that
the shell steps measure and dockerfiles/measure/tables.py presents.

  records.py bench-build-case --example E --dockerfile F ... > case.json
  records.py bench-build --runs N --slow S --engine V < cases   > bench-build.json
  records.py bench-image --example E --type T < bench.py's figures
  records.py bench-transfer --bytes B --push-ms MS --cold JSON --link-ms MS|null --mbit M < image.json
  records.py bench --reference IMAGE --machine TEXT [--transfer-why TEXT] < images
  records.py scan-image --image I --example E --type T --out DIR --lag TSV
  records.py scan --trivy STATE --suites 'bookworm-security trixie-security' < images
  records.py trivy-counts < trivy.json
  records.py history-layers --image I --type T --base B --from-base N < docker history
  records.py history-largest < docker history
  records.py dive-image --image I --type T --efficiency PCT --wasted B --result R --layers JSON --report FILE
  records.py binary --binary PATH --bytes B --stripped B < symbol families (TSV)
  records.py size --example E --image I --type T --base B --bytes B --compressed B --layers N --factor X|''
  records.py pins --linked "PACKAGE ..."|- < Package.resolved     (TSV)
  records.py machine --engine V --version V
  records.py binary-sizes --variants TSV --families TSV --stripped B
  records.py library-sizes < probes (TSV)
  records.py bases --mode M --order "KEY ..." --earlier FILE|'' < bases (TSV)
  records.py ci-cache --dockerfile F --resolve STEP --compile STEP --push-final MS --push-build MS < cases (TSV)

Where a command reads several records on stdin, they may be one after the
other (a file each, concatenated) or one a line. Every record is printed
as JSON on stdout. Standard library only: the steps run it with the host's
python3.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Union

Record = dict[str, Any]
# What a command prints: a record, as JSON, or lines of text.
Output = Union[Record, str]


def records_in(text: str) -> Iterator[Any]:
    """The JSON values of a text, one after the other, whatever the
    whitespace between them (as jq -s reads them)."""
    decoder = json.JSONDecoder()
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return
        value, at = decoder.raw_decode(text, at)
        yield value


def now() -> str:
    """The time of a record, in UTC, to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def half_up(value: float) -> int:
    """Rounded to a whole number as a person rounds (half away from zero)."""
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def number(value: float) -> float | int:
    """A figure as JSON has it: a whole number without ".0" (as jq prints
    one), so that a shell reading it with jq -r sees 1, not 1.0."""
    return int(value) if float(value).is_integer() else value


def cpus() -> int:
    """The CPUs this process may run on (as nproc counts them)."""
    return len(os.sched_getaffinity(0))


def words(text: str) -> list[str]:
    """A space-separated list, as the shell steps gather one."""
    return text.split()


def median_ms(runs: list[int]) -> int | None:
    """The median of a case's runs, in whole ms (the lower whole ms when it
    falls between two runs); none without runs."""
    s = sorted(runs)
    if not s:
        return None
    middle = len(s) // 2
    return s[middle] if len(s) % 2 else (s[middle - 1] + s[middle]) // 2


def without_shell(created_by: str) -> str:
    """A docker history entry's command without the classic builder's
    shell prefix."""
    return re.sub(r"^/bin/sh -c (#\(nop\) )?", "", created_by)


def instruction(created_by: str) -> str:
    """The Dockerfile instruction of a docker history entry: no shell
    prefix, and no BuildKit comment."""
    return without_shell(re.sub(r" # buildkit$", "", created_by))


# --- make bench-build ----------------------------------------------------------------------

def bench_build_case(a: argparse.Namespace) -> Record:
    ms = {kind: [int(run) for run in words(getattr(a, kind))] for kind in "abcd"}
    return {
        "example": a.example, "dockerfile": a.dockerfile, "dependency_step": a.step,
        "context_bytes": a.context, "folder_bytes": a.folder, "image_bytes": a.image_bytes,
        "ms": ms, "median_ms": {kind: median_ms(runs) for kind, runs in ms.items()},
        "dependency_step_after_c": words(a.dep_c), "dependency_step_after_d": words(a.dep_d),
        "cold_program_sha256": words(a.cold_sha), "lab_image": a.lab or "-", "lab_program_sha256": a.lab_sha,
        "steps_ran_after_c": [line for line in a.ran_c.split("\n") if line],
    }


def bench_build(a: argparse.Namespace, cases: list[Any]) -> Record:
    return {"date": now(), "cpus": cpus(), "engine": a.engine, "runs": a.runs, "slow_s": a.slow, "cases": cases}


# --- make bench ----------------------------------------------------------------------------

def bench_transfer(a: argparse.Namespace, image: Record) -> Record:
    cold = json.loads(a.cold)
    return image | {"transfer": {
        "bytes": a.bytes, "push_ms": a.push_ms, "pull_ms": cold.get("pull_ms"), "cold_start_ms": cold.get("cold_start_ms"),
        "link_mbit": a.mbit, "link_pull_ms": json.loads(a.link_ms),
        "link_computed_ms": half_up(a.bytes * 8 / (a.mbit * 1_000_000) * 1000),
    }}


# Each ratio to the reference image: its name in bench.json, and where the
# figure is in an image's record.
RATIOS: dict[str, tuple[str, ...]] = {
    "startup": ("startup_ms", "median"),
    "idle_memory": ("memory_kb", "idle"),
    "memory_after_load": ("memory_kb", "after_load"),
    "idle_own_memory": ("memory_kb", "idle_own"),
    "own_memory_after_load": ("memory_kb", "after_load_own"),
    "requests_per_second": ("load", "requests_per_second"),
    "transfer_bytes": ("transfer", "bytes"),
    "cold_start": ("transfer", "cold_start_ms"),
}


def figure(record: Record, path: tuple[str, ...]) -> Any:
    for key in path:
        record = record.get(key) if isinstance(record, dict) else None
    return record


def bench(a: argparse.Namespace, images: list[Any]) -> Record:
    reference = next((image for image in images if image.get("image") == a.reference), None)

    def ratio(image: Record, path: tuple[str, ...]) -> float | None:
        if reference is None:
            return None
        value, of = figure(image, path), figure(reference, path)
        if value is None or not isinstance(of, (int, float)) or of <= 0:
            return None
        return number(half_up(value / of * 100) / 100)

    return {
        "date": now(), "machine": a.machine, "reference": a.reference if reference else None,
        "transfer_not_measured": a.transfer_why or None,
        "images": [image | {"vs_reference": {name: ratio(image, path) for name, path in RATIOS.items()}} for image in images],
    }


# --- make scan -----------------------------------------------------------------------------

def trivy_counts(report: Record) -> dict[str, int]:
    """How many vulnerabilities Trivy found, by severity."""
    counts: dict[str, int] = {}
    for result in report.get("Results") or []:
        for vulnerability in result.get("Vulnerabilities") or []:
            counts[vulnerability["Severity"]] = counts.get(vulnerability["Severity"], 0) + 1
    return dict(sorted(counts.items()))


def scan_image(a: argparse.Namespace) -> Record:
    out = Path(a.out)

    def load(suffix: str) -> Any:
        return json.loads((out / f"{a.image}{suffix}").read_text())

    inv, layers, writable = load(".inventory.json"), load(".layers.json"), load(".writable.json")
    trivy = out / f"{a.image}.trivy.json"
    go = [inv["go"]["go"], *inv["go"]["deps"]] if inv.get("go") else []
    behind = [line.split("\t") for line in Path(a.lag).read_text().split("\n")]
    debian = inv.get("debian")
    suite = f"{debian['codename']}-security" if debian else None
    return {
        "image": a.image, "example": a.example, "type": a.type, "files": inv["files"], "bytes": inv["bytes"],
        "os_packages": len(inv["os_packages"]), "shells": inv["shells"], "package_managers": inv["package_managers"],
        "fetchers": inv["fetchers"], "setuid": inv["setuid"], "setgid": inv["setgid"],
        "setid": inv["setuid"] + inv["setgid"], "user": inv["user"], "exposed_ports": inv["exposed_ports"],
        "writable": writable, "layer_findings": layers["findings"], "packaged_keys": layers["packaged_keys"],
        "debian": debian, "security_suite": suite if suite in words(a.suites) else None,
        "behind_security": [{"package": row[1], "installed": row[2], "security": row[3]}
                            for row in behind if row[0] == a.image and len(row) >= 4],
        "trivy": trivy_counts(json.loads(trivy.read_text())) if trivy.is_file() and trivy.stat().st_size else {},
        "sbom_components": len(inv["os_packages"]) + len(inv["swift_packages"]) + len(inv["python"]) + len(inv["node"])
        + len((inv.get("jlink") or {}).get("modules") or []) + len(go),
    }


def scan(a: argparse.Namespace, images: list[Record]) -> Record:
    """scan.json: the images' records, the security suites that were read
    (SUITES) and the images with OS packages that none of them covers."""
    return {"trivy": a.trivy, "security_suites": words(a.suites),
            "not_compared": [image["image"] for image in images if image["os_packages"] and not image["security_suite"]],
            "images": images}


# --- docker history: make report's layers and make analyze's largest ones ------------------

def history_layers(a: argparse.Namespace, history: list[Any]) -> Record:
    """An image's layers, oldest first, each marked as its base's (the
    oldest FROM_BASE entries) or its own; empty ones left out."""
    layers = [{"index": index, "from_base": index <= a.from_base, "bytes": int(entry["Size"]),
               "instruction": instruction(entry["CreatedBy"])}
              for index, entry in enumerate(reversed(history), start=1)]
    layers = [layer for layer in layers if layer["bytes"] > 0]
    return {"image": a.image, "type": a.type, "base": a.base, "layers": layers,
            "base_bytes": sum(layer["bytes"] for layer in layers if layer["from_base"]),
            "own_bytes": sum(layer["bytes"] for layer in layers if not layer["from_base"])}


def history_largest(history: list[Any]) -> Record:
    """How many entries an image's history has, and its three largest."""
    entries = [{"size": int(entry["Size"]), "created_by": without_shell(entry["CreatedBy"])[:90]}
               for entry in history]
    return {"count": len(entries), "largest": sorted(entries, key=lambda entry: -entry["size"])[:3]}


# --- make analyze --------------------------------------------------------------------------

INEFFICIENT = re.compile(r"^ *(?P<count>[0-9]+) +(?P<wasted>.+?)  (?P<path>/.*)$")


def wasted_files(report: str, most: int = 5) -> list[dict[str, str]]:
    """The first files of dive's "Inefficient Files" list (under its header
    line, up to "Results:")."""
    lines = report.split("\n")
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("Inefficient Files:"))
    except StopIteration:
        return []
    rows = []
    for line in lines[start + 2:]:
        if line.startswith("Results:"):
            break
        rows.append(line)
    return [m.groupdict() for m in map(INEFFICIENT.match, rows[:most]) if m]


def dive_image(a: argparse.Namespace) -> Record:
    return {"image": a.image, "type": a.type, "efficiency": number(a.efficiency / 100), "wasted_bytes": a.wasted,
            "result": a.result, "layers": json.loads(a.layers), "wasted_files": wasted_files(Path(a.report).read_text())}


# --- make report's binary.json and machine.json ---------------------------------------------

def tsv(text: str) -> list[list[str]]:
    """The rows of a TSV text, blank lines left out."""
    return [line.split("\t") for line in text.split("\n") if line]


def families_of(text: str) -> list[Record]:
    """symbol-families.sh's lines (BYTES<TAB>ORIGIN): the binary's symbols
    summed by origin."""
    return [{"origin": origin, "bytes": int(size)} for size, origin, *_ in tsv(text)]


def symbol_totals(families: list[Record], stripped: int) -> tuple[int, int]:
    """The bytes of a binary's symbols, and of the rest of its stripped file."""
    symbols = sum(family["bytes"] for family in families)
    return symbols, stripped - symbols


def binary(a: argparse.Namespace, families_tsv: str) -> Record:
    families = families_of(families_tsv)
    symbols, rest = symbol_totals(families, a.stripped)
    return {"binary": a.binary, "bytes": a.bytes, "stripped_bytes": a.stripped, "symbol_bytes": symbols,
            "no_symbol_bytes": rest,
            "families": [family | {"share_percent": number(half_up(family["bytes"] / symbols * 1000) / 10)} for family in families]}


def os_name() -> str:
    try:
        return platform.freedesktop_os_release().get("PRETTY_NAME", "")
    except OSError:
        return ""


def memory_mib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 0


def machine(a: argparse.Namespace) -> Record:
    return {"date": now(), "cores": cpus(), "memory_mib": memory_mib(), "arch": platform.machine(),
            "os": os_name(), "kernel": platform.release(), "engine": a.engine, "lab_version": a.version}


# --- make binary-sizes and make library-sizes ----------------------------------------------

def binary_sizes(a: argparse.Namespace) -> Record:
    """The three builds of the server (VARIANTS: NAME, FLAG, BYTES, STRIPPED,
    SHARED LIBRARIES, SWIFT RUNTIME BYTES a row), and the static one's
    symbols by origin (FAMILIES)."""
    variants = [{"variant": name, "flag": flag, "bytes": int(size), "stripped_bytes": int(stripped),
                 "shared_libraries": int(libs), "swift_runtime_bytes": int(runtime)}
                for name, flag, size, stripped, libs, runtime in tsv(Path(a.variants).read_text())]
    families = families_of(Path(a.families).read_text())
    symbols, rest = symbol_totals(families, a.stripped)
    return {"variants": variants, "static": {"stripped_bytes": a.stripped, "symbol_bytes": symbols,
                                             "no_symbol_bytes": rest, "families": families}}


def library_sizes(rows: str) -> Record:
    """The SQLite libraries' probes (LIBRARY, BYTES, STRIPPED,
    INTERNATIONALIZATION SYMBOLS, SQLITE a row)."""
    return {"libraries": [{"library": library, "bytes": int(size), "stripped_bytes": int(stripped),
                           "internationalization_symbols": int(intl), "sqlite": sqlite}
                          for library, size, stripped, intl, sqlite in tsv(rows)]}


# --- make bases ----------------------------------------------------------------------------

def bases(a: argparse.Namespace, text: str) -> Record:
    """bases.json: the bases resolved (KEY, BUILD ARG, OFFICIAL, NAME, ID,
    SIZE, RELEASE, GLIBC a row: RELEASE "debian 13", GLIBC "2.41" or "-"
    for none) after those of an earlier run (FILE, JSON records), in
    bases.tsv's order (ORDER: its keys)."""
    rows = [{"key": key, "build_arg": arg, "official": official, "name": name, "id": id_, "size": int(size),
             "release": release, "glibc": glibc}
            for key, arg, official, name, id_, size, release, glibc in tsv(text)]
    earlier = list(records_in(Path(a.earlier).read_text())) if a.earlier else []
    order = words(a.order)
    every = earlier + rows
    return {"mode": a.mode, "bases": sorted(every, key=lambda row: order.index(row["key"]) if row["key"] in order else -1)}


# --- make ci-cache -------------------------------------------------------------------------

def ci_cache(a: argparse.Namespace, cases_tsv: str) -> Record:
    cases = [{"case": name, "ms": int(ms), "resolve": resolve, "compile": compile_}
             for name, ms, resolve, compile_ in tsv(cases_tsv)]
    return {"date": now(), "dockerfile": a.dockerfile, "steps": {"resolve": a.resolve, "compile": a.compile},
            "push_ms": {"final": a.push_final, "build_stage": a.push_build}, "cases": cases}


# --- make sizes and make dependencies -------------------------------------------------------

def size(a: argparse.Namespace) -> Record:
    return {"example": a.example, "image": a.image, "build_type": a.type, "base": a.base, "bytes": a.bytes,
            "compressed_bytes": a.compressed, "layers": a.layers, "smaller_than_single_stage": number(json.loads(a.factor)) if a.factor else None}


def pins(a: argparse.Namespace, resolved: Record) -> str:
    """Package.resolved's pins as TSV, a header first: each package, its
    version (or branch), its revision, and whether the build linked it in
    (LINKED: the packages linked in, one a word; "-" when not known)."""
    linked = set(words(a.linked))
    rows = ["package\tversion\trevision\tlinked in"]
    for pin in resolved["pins"]:
        state = pin["state"]
        known = "-" if linked == {"-"} else "yes" if pin["identity"] in linked else "no"
        rows.append("\t".join([pin["identity"], state.get("version") or state.get("branch") or "-", state["revision"][:12], known]))
    return "\n".join(rows)


# --- the command line ----------------------------------------------------------------------

def one(build: Callable[[argparse.Namespace, Record], Output]) -> Callable[[argparse.Namespace, str], Output]:
    """A command that takes one record on stdin."""
    def run(a: argparse.Namespace, text: str) -> Output:
        values = list(records_in(text))
        if len(values) != 1:
            raise ValueError(f"expected one JSON record on stdin, got {len(values)}")
        return build(a, values[0])
    return run


def each(build: Callable[[argparse.Namespace, list[Any]], Output]) -> Callable[[argparse.Namespace, str], Output]:
    """A command that takes any number of records on stdin."""
    return lambda a, text: build(a, list(records_in(text)))


def args_only(build: Callable[[argparse.Namespace], Output]) -> Callable[[argparse.Namespace, str], Output]:
    return lambda a, _text: build(a)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="records.py", description="The JSON records of the lab's measuring steps.")
    sub = p.add_subparsers(dest="command", required=True)

    def command(name: str, run: Callable[[argparse.Namespace, str], Output], reads: bool,
                options: Iterable[tuple[str, type]]) -> None:
        c = sub.add_parser(name)
        for option, kind in options:
            c.add_argument(option, type=kind, required=True)
        c.set_defaults(run=run, reads=reads)

    command("bench-build-case", args_only(bench_build_case), False,
            [(f"--{o}", str) for o in ("example", "dockerfile", "step", "a", "b", "c", "d", "dep-c", "dep-d",
                                       "ran-c", "cold-sha", "lab", "lab-sha")] + [("--context", int), ("--folder", int), ("--image-bytes", int)])
    command("bench-build", each(bench_build), True, [("--runs", int), ("--slow", int), ("--engine", str)])
    command("bench-image", one(lambda a, image: image | {"example": a.example, "type": a.type}), True,
            [("--example", str), ("--type", str)])
    command("bench-transfer", one(bench_transfer), True,
            [("--bytes", int), ("--push-ms", int), ("--cold", str), ("--link-ms", str), ("--mbit", int)])
    command("bench", each(bench), True, [("--reference", str), ("--machine", str), ("--transfer-why", str)])
    command("scan-image", args_only(scan_image), False,
            [("--image", str), ("--example", str), ("--type", str), ("--out", str), ("--lag", str), ("--suites", str)])
    command("scan", each(scan), True, [("--trivy", str), ("--suites", str)])
    command("history-layers", each(history_layers), True,
            [("--image", str), ("--type", str), ("--base", str), ("--from-base", int)])
    command("history-largest", each(lambda _a, history: history_largest(history)), True, [])
    command("dive-image", args_only(dive_image), False,
            [("--image", str), ("--type", str), ("--efficiency", float), ("--wasted", int), ("--result", str),
             ("--layers", str), ("--report", str)])
    command("binary", binary, True, [("--binary", str), ("--bytes", int), ("--stripped", int)])
    command("size", args_only(size), False,
            [("--example", str), ("--image", str), ("--type", str), ("--base", str), ("--bytes", int),
             ("--compressed", int), ("--layers", int), ("--factor", str)])
    command("pins", one(pins), True, [("--linked", str)])
    command("machine", args_only(machine), False, [("--engine", str), ("--version", str)])
    command("binary-sizes", args_only(binary_sizes), False, [("--variants", str), ("--families", str), ("--stripped", int)])
    command("library-sizes", lambda _a, text: library_sizes(text), True, [])
    command("bases", bases, True, [("--mode", str), ("--order", str), ("--earlier", str)])
    command("ci-cache", ci_cache, True,
            [("--dockerfile", str), ("--resolve", str), ("--compile", str), ("--push-final", int), ("--push-build", int)])
    return p


def main(argv: list[str]) -> None:
    a = parser().parse_args(argv)
    try:
        record = a.run(a, sys.stdin.read() if a.reads else "")
    except (OSError, ValueError, KeyError, IndexError, TypeError) as error:
        raise SystemExit(f"error: records.py {a.command}: {type(error).__name__}: {error}") from None
    if isinstance(record, str):
        print(record)
    elif a.command == "size":
        print(json.dumps(record, ensure_ascii=False))
    else:
        print(json.dumps(record, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
