"""The lab's tables, each written once, from its results file alone.

Every step that measures writes JSON into the results folder (sizes.json,
bench.json, scan.json, analyze.json, bench-build.json, ci-cache.json, and
make report's layers.json and binary.json). This module turns each file into
its tables; render.py prints them in the terminal (and into the .md files
beside the JSON), and report.py puts the same tables on the report page.

A cell is a Value (a figure or a text read from a results file, with the
JSON pointer it came from, so that the page can say where each number is
from), a plain string without figures, or a list of both. Standard library
only: make sizes runs it with the host's python3.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Union


class Value:
    """A value from a results file, shown in one format; `scale` (from the
    stored value to the shown number) overrides the format's, for a figure
    shown relative to another one, such as a percentage of a cold build."""

    # fmt: (scale from the stored value to the shown number, decimals, unit);
    # decimals None: the number as it is; below 0: rounded, no trailing zeros.
    FORMATS: dict[str, tuple[float, int | None, str] | None] = {
        "text": None, "mb": (1e-6, 1, " MB"), "mb_bare": (1e-6, 1, ""), "kb": (1e-3, 0, " kB"), "kb_mib": (1 / 1024, 1, " MiB"), "kb_mib_short": (1 / 1024, -1, " MiB"), "ms_as_is": (1, None, " ms"),
        "ms": (1, 1, " ms"), "number": (1, 1, ""), "ms_s": (1e-3, 1, " s"), "x": (1, None, "x"), "times": (1, 1, "x"),
        "percent": (1, 1, " %"), "whole_percent": (1, 0, " %"), "fraction_percent": (100, 1, " %"), "count": (1, 0, ""),
        "gb": (1e-9, 1, " GB"), "min_s": (1, 0, ""), "minutes": (1 / 60, 0, " min"),
    }

    def __init__(self, file: str, pointer: Sequence[Any], raw: Any, fmt: str = "text", scale: float | None = None):
        self.file, self.pointer, self.raw, self.fmt = file, tuple(pointer), raw, fmt
        spec = self.FORMATS[fmt]
        self.scale = scale if scale is not None else (spec[0] if spec else None)

    def shown(self) -> str:
        if self.raw is None:
            return "-"
        spec = self.FORMATS[self.fmt]
        if spec is None:
            return str(self.raw)
        _, decimals, unit = spec
        number = (len(self.raw) if isinstance(self.raw, list) else self.raw) * self.scale
        if self.fmt == "min_s":  # seconds: "35 min 16 s", or "42 s"
            seconds = int(Decimal(repr(number)).quantize(Decimal(1), ROUND_HALF_UP))
            return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"
        if decimals is None:
            return f"{number:g}{unit}"
        if decimals < 0:  # rounded to -decimals places, with no trailing zeros: 21 MiB, 22.1 MiB
            return f"{round(number, -decimals):g}{unit}"
        # Halves round up (4.5 % is 5 %), as people and jq round.
        return f"{Decimal(repr(number)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)}{unit}"

    def src(self) -> str:
        return self.file + "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in self.pointer)

    def html(self) -> str:
        scale = "" if self.scale is None else f' data-scale="{self.scale!r}"'
        return f'<span class="v" data-src="{html.escape(self.src())}"{scale}>{html.escape(self.shown())}</span>'

    def md(self) -> str:
        return self.shown()


Part = Union[Value, str]
Cell = Union[Value, str, list]


def as_html(parts: Sequence[Part]) -> str:
    """Strings (escaped) and Values (each in its data-src element), joined."""
    return "".join(p.html() if isinstance(p, Value) else html.escape(p) for p in parts)


def as_md(parts: Sequence[Part]) -> str:
    return "".join(p.md() if isinstance(p, Value) else p for p in parts)


def parts_of(cell: Cell) -> list[Part]:
    return cell if isinstance(cell, list) else [cell]


@dataclass
class Table:
    """A table: its header (strings, or lists of parts), its rows of cells,
    and its id on the report page. A column whose every cell is a figure (or
    "-") is numeric: right-aligned."""

    anchor: str
    header: list[Cell]
    rows: list[list[Cell]]

    def numeric(self) -> list[bool]:
        def is_number(cell: Cell) -> bool:
            first = cell[0] if isinstance(cell, list) and cell else cell
            return isinstance(first, Value) and first.fmt != "text" or cell == "-"
        return [bool(self.rows) and all(is_number(r[c]) for r in self.rows) for c in range(len(self.header))]

    def markdown(self) -> list[str]:
        def cell_md(cell: Cell) -> str:
            return as_md(parts_of(cell)).replace("|", "\\|")
        numeric = self.numeric()
        return (["| " + " | ".join(cell_md(h) for h in self.header) + " |",
                 "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
                + ["| " + " | ".join(cell_md(c) for c in row) + " |" for row in self.rows])

    def html(self) -> list[str]:
        numeric = self.numeric()
        lines = [f'<div class="wide"><table id="{self.anchor}"><thead><tr>'
                 + "".join(f'<th{" class=num" if n else ""}>{as_html(parts_of(h))}</th>' for h, n in zip(self.header, numeric))
                 + "</tr></thead><tbody>"]
        lines += ["<tr>" + "".join(f'<td{" class=num" if n else ""}>{as_html(parts_of(c))}</td>' for c, n in zip(row, numeric))
                  + "</tr>" for row in self.rows]
        return lines + ["</tbody></table></div>"]


class Results:
    """A results folder: its files, read once each, and Values from them."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        self.data: dict[str, Any] = {}

    def load(self, name: str) -> Any:
        if name not in self.data:
            path = self.folder / name
            self.data[name] = json.loads(path.read_text()) if path.exists() else None
        return self.data[name]

    def value(self, file: str, *pointer: Any, fmt: str = "text", scale: float | None = None) -> Value:
        node = self.load(file)
        for part in pointer:
            node = node[part]
        return Value(file, pointer, node, fmt, scale)


def ratio(r: Results, file: str, *pointer: Any) -> list[Part]:
    """' (1.23x)' after a figure, when there is a ratio to the reference."""
    try:
        value = r.value(file, *pointer, fmt="x")
    except KeyError:  # a figure the reference image has no counterpart of
        return []
    return [] if value.raw is None else [" (", value, ")"]


def short_paths(paths: list[str]) -> str:
    """Programs by their names (/usr/bin/sh: sh), each once, or "none"."""
    names = sorted({re.sub(r"^/(usr/)?(s?bin/)?", "", path) for path in paths})
    return ", ".join(names) or "none"


# --- make sizes ---------------------------------------------------------------------------

def sizes(r: Results) -> list[Table]:
    rows = []
    for i, _ in enumerate(r.load("sizes.json")):
        v = lambda key, fmt="text": r.value("sizes.json", i, key, fmt=fmt)  # noqa: E731
        rows.append([v("example"), v("image"), v("build_type"), v("base"), v("bytes", "mb"),
                     v("compressed_bytes", "mb"), v("layers", "count"), v("smaller_than_single_stage", "times")])
    return [Table("table-sizes", ["example", "image", "build type", "base image", "size", "compressed", "layers",
                                  "smaller than single-stage"], rows)]


# --- make report's own readings: the Swift images' layers, the static binary -------------------

def layers(r: Results) -> list[Table]:
    rows = []
    for i, image in enumerate(r.load("layers.json")):
        for j, layer in enumerate(image["layers"]):
            v = lambda key, fmt="text": r.value("layers.json", i, "layers", j, key, fmt=fmt)  # noqa: E731
            rows.append([r.value("layers.json", i, "image"), v("index", "count"),
                         "base image" if layer["from_base"] else "own", v("bytes", "mb"), v("instruction")])
    return [Table("table-layers", ["image", "history step", "from", "size", "instruction"], rows)]


def binary(r: Results) -> list[Table]:
    data = r.load("binary.json")
    rows: list[list[Cell]] = [[r.value("binary.json", "families", i, "origin"), r.value("binary.json", "families", i, "bytes", fmt="mb"),
                               r.value("binary.json", "families", i, "share_percent", fmt="percent")]
                              for i in range(len(data["families"]))]
    rows.append(["no symbol: unwind tables, Swift metadata, string constants",
                 r.value("binary.json", "no_symbol_bytes", fmt="mb"), ""])
    return [Table("table-binary", ["origin", "size", "share of symbols"], rows)]


# --- make bench ---------------------------------------------------------------------------

def bench(r: Results) -> list[Table]:
    data = r.load("bench.json")
    rows = []
    for i, image in enumerate(data["images"]):
        v = lambda *pointer, fmt="text": r.value("bench.json", "images", i, *pointer, fmt=fmt)  # noqa: E731
        vs = lambda key, *parts: [*parts, *ratio(r, "bench.json", "images", i, "vs_reference", key)]  # noqa: E731
        memory = image["memory_kb"]
        own = lambda key, ratio_key: vs(ratio_key, v("memory_kb", key, fmt="kb_mib_short")) if key in memory else "-"  # noqa: E731
        rows.append([v("image"), v("type"),
                     vs("startup", v("startup_ms", "median", fmt="ms"), " (", v("startup_ms", "min", fmt="number"), " to ",
                        v("startup_ms", "max", fmt="number"), ")"),
                     vs("idle_memory", v("memory_kb", "idle", fmt="kb_mib_short")), own("idle_own", "idle_own_memory"),
                     vs("memory_after_load", v("memory_kb", "after_load", fmt="kb_mib_short")),
                     own("after_load_own", "own_memory_after_load"),
                     vs("requests_per_second", v("load", "requests_per_second", fmt="count")),
                     v("load", "p50_ms", fmt="ms_as_is"), v("load", "p99_ms", fmt="ms_as_is")])
    tables = [Table("table-bench", ["image", "type", "start-up, median (min to max)", "idle memory", "its own",
                                    "after load", "its own", "requests/s", "p50", "p99"], rows)]
    moved = [i for i, image in enumerate(data["images"]) if image.get("transfer")]
    if moved:
        rows = []
        for i in moved:
            t = lambda key, fmt="text": r.value("bench.json", "images", i, "transfer", key, fmt=fmt)  # noqa: E731
            vs = lambda key, *parts: [*parts, *ratio(r, "bench.json", "images", i, "vs_reference", key)]  # noqa: E731
            rows.append([r.value("bench.json", "images", i, "image"), vs("transfer_bytes", t("bytes", "mb")),
                         t("push_ms", "ms_s"), t("pull_ms", "ms_s"), vs("cold_start", t("cold_start_ms", "ms_s")),
                         t("link_pull_ms", "ms_s"), t("link_computed_ms", "ms_s")])
        link = r.value("bench.json", "images", moved[0], "transfer", "link_mbit", fmt="count")
        tables.append(Table("table-transfer", ["image", "pushed and pulled", "push", "pull into an empty engine",
                                               "cold start: pull, run, first answer", ["pull at ", link, " Mbit/s"],
                                               "computed from the bytes"], rows))
    return tables


# --- make scan and make analyze ---------------------------------------------------------------

def scan(r: Results) -> list[Table]:
    data = r.load("scan.json")
    rows = []
    for i, image in enumerate(data["images"]):
        v = lambda *pointer, fmt="text": r.value("scan.json", "images", i, *pointer, fmt=fmt)  # noqa: E731
        listed = lambda key: Value("scan.json", ("images", i, key), short_paths(image[key]))  # noqa: E731
        writable = image["writable"]
        if writable.get("all") == ["exited"]:
            written: Cell = "(exited)"
        elif not writable.get("image"):
            written = "none"
        else:
            written = Value("scan.json", ("images", i, "writable", "image"), ", ".join(writable["image"]))
        # "-": packages, but no security suite of their release was read.
        compared = image["security_suite"] or not image["os_packages"]
        rows.append([v("image"), v("debian", "version") if image["debian"] else "-",
                     v("files", fmt="count"), v("bytes", fmt="mb_bare"), v("os_packages", fmt="count"),
                     v("behind_security", fmt="count") if compared else "-",
                     listed("shells"), listed("package_managers"), listed("fetchers"),
                     v("setid", fmt="count"), v("user") if image["user"] else "root",
                     written, v("layer_findings", fmt="count")])
    return [Table("table-scan", ["image", "Debian", "files", "MB", "OS packages", "behind security", "shell",
                                 "package manager", "curl, wget", "setuid, setgid", "user",
                                 "writable with --read-only", "layer findings"], rows)]


def analyze(r: Results) -> list[Table]:
    rows = []
    for i, image in enumerate(r.load("analyze.json")):
        v = lambda *pointer, fmt="text": r.value("analyze.json", i, *pointer, fmt=fmt)  # noqa: E731
        largest = image["layers"]["largest"]
        if not largest:
            layer: Cell = "-"
        elif largest[0]["created_by"] == "":
            layer = [v("layers", "largest", 0, "size", fmt="mb"), ": the first layer (no instruction: an imported file system)"]
        else:
            layer = [v("layers", "largest", 0, "size", fmt="mb"), ": `", v("layers", "largest", 0, "created_by"), "`"]
        rows.append([v("image"), v("type"), v("layers", "count", fmt="count"), v("efficiency", fmt="fraction_percent"),
                     v("wasted_bytes", fmt="kb"), layer, v("result")])
    return [Table("table-analyze", ["image", "type", "layers", "efficiency", "wasted", "largest layer", "dive CI"], rows)]


# --- make bench-build and make ci-cache -----------------------------------------------------------

def share(r: Results, file: str, whole: float | None, *pointer: Any) -> Value | None:
    """The figure at pointer as a whole percentage of `whole`, when both are known."""
    if r.value(file, *pointer).raw is None or not whole:
        return None
    return r.value(file, *pointer, fmt="whole_percent", scale=100 / whole)


def of(r: Results, file: str, whole: float | None, *pointer: Any) -> list[Part]:
    """' (42 %)': share() in brackets, after a figure, or nothing."""
    value = share(r, file, whole, *pointer)
    return [] if value is None else [" (", value, ")"]


def kb_or_mb(r: Results, file: str, *pointer: Any, large: int = 1_000_000) -> Value:
    """In MB from `large` bytes on, else in kB."""
    value = r.value(file, *pointer)
    return r.value(file, *pointer, fmt="mb" if (value.raw or 0) >= large else "kb")


def bench_build(r: Results) -> list[Table]:
    data = r.load("bench-build.json")
    rows, programs = [], []
    for i, case in enumerate(data["cases"]):
        v = lambda *pointer, fmt="text": r.value("bench-build.json", "cases", i, *pointer, fmt=fmt)  # noqa: E731
        cold = case["median_ms"].get("a")
        rebuild = lambda key: [v("median_ms", key, fmt="ms_s"), *of(r, "bench-build.json", cold, "cases", i, "median_ms", key)]  # noqa: E731
        rows.append([v("example"), v("dockerfile"), v("median_ms", "a", fmt="ms_s"), rebuild("b"), rebuild("c"), rebuild("d"),
                     Value("bench-build.json", ("cases", i, "dependency_step_after_c"),
                           ", ".join(sorted(set(case["dependency_step_after_c"])))),
                     [kb_or_mb(r, "bench-build.json", "cases", i, "context_bytes"), " (",
                      kb_or_mb(r, "bench-build.json", "cases", i, "folder_bytes"), ")"],
                     v("image_bytes", fmt="mb") if case.get("image_bytes") is not None else "-"])
        cold_shas = case["cold_program_sha256"]
        known = cold_shas + ([] if case["lab_program_sha256"] == "-" else [case["lab_program_sha256"]])
        identical = "-" if len(known) < 2 else "yes" if len(set(known)) == 1 else "no"
        # Digests in short: plain text (not figures to read back).
        programs.append([v("dockerfile"), ", ".join(sha[:12] for sha in cold_shas), v("lab_image"),
                         case["lab_program_sha256"][:12], identical])
    return [Table("table-bench-build", ["example", "Dockerfile", "(a) cold", "(b) no change", "(c) one source file",
                                        "(d) dependency manifest", "(c): dependency step", "context (folder)", "image size"], rows),
            Table("table-reproducible", ["Dockerfile", "cold builds (sha256)", "lab image", "its program (sha256)",
                                         "identical"], programs)]


def ci_cache(r: Results) -> list[Table]:
    data = r.load("ci-cache.json")
    cold = data["cases"][0]["ms"] if data["cases"] else None
    rows = [[r.value("ci-cache.json", "cases", i, "case"), r.value("ci-cache.json", "cases", i, "ms", fmt="ms_s"),
             share(r, "ci-cache.json", cold, "cases", i, "ms") or "-",
             r.value("ci-cache.json", "cases", i, "resolve"), r.value("ci-cache.json", "cases", i, "compile")]
            for i in range(len(data["cases"]))]
    return [Table("table-ci", [["on the fresh runner (", r.value("ci-cache.json", "dockerfile"), ")"], "time",
                               "of cold", r.value("ci-cache.json", "steps", "resolve"), r.value("ci-cache.json", "steps", "compile")], rows)]


# --- make binary-sizes and make library-sizes -------------------------------------------------

def binary_sizes(r: Results) -> list[Table]:
    data = r.load("binary-sizes.json")
    rows = []
    for i, variant in enumerate(data["variants"]):
        v = lambda key, fmt="text": r.value("binary-sizes.json", "variants", i, key, fmt=fmt)  # noqa: E731
        rows.append([v("variant"), v("flag") if variant["flag"] else "(none)", v("bytes", "mb"), v("stripped_bytes", "mb"),
                     v("shared_libraries", "count"), v("swift_runtime_bytes", "mb") if variant["swift_runtime_bytes"] else "-"])
    static = data["static"]
    total = static["symbol_bytes"]
    families: list[list[Cell]] = [
        [r.value("binary-sizes.json", "static", "families", i, "origin"),
         kb_or_mb(r, "binary-sizes.json", "static", "families", i, "bytes", large=100_000),
         r.value("binary-sizes.json", "static", "families", i, "bytes", fmt="percent", scale=100 / total) if total else "-"]
        for i in range(len(static["families"]))]
    families.append(["(no symbol: unwind tables, Swift metadata, string constants)",
                     r.value("binary-sizes.json", "static", "no_symbol_bytes", fmt="mb"), ""])
    families.append(["stripped binary", r.value("binary-sizes.json", "static", "stripped_bytes", fmt="mb"), ""])
    return [Table("table-binary-sizes", ["binary", "swiftc flag", "size", "stripped", "shared libraries",
                                         "Swift runtime .so it loads"], rows),
            Table("table-static-symbols", ["origin", "size", "share of symbols"], families)]


def library_sizes(r: Results) -> list[Table]:
    rows = []
    for i, library in enumerate(r.load("sqlite-library-sizes.json")["libraries"]):
        v = lambda key, fmt="text": r.value("sqlite-library-sizes.json", "libraries", i, key, fmt=fmt)  # noqa: E731
        count = library["internationalization_symbols"]
        rows.append([v("library"), v("bytes", "mb"), v("stripped_bytes", "mb"),
                     ["yes (", v("internationalization_symbols", "count"), " symbols)"] if count else "no", v("sqlite")])
    return [Table("table-library-sizes", ["library", "static binary", "stripped", "FoundationInternationalization (ICU)",
                                          "SQLite"], rows)]


# --- make record: each step's time, and make test's suites ----------------------------------------

# What each step of timings.json is, as the docs name it.
STEPS = {"all": "make all", "test": "make test", "scan": "make scan", "analyze": "make analyze", "bench": "make bench",
         "bench-build": "make bench-build", "ci-cache": "make ci-cache"}


def timings(r: Results) -> list[Table]:
    steps = r.load("timings.json").get("steps", {})
    rows: list[list[Cell]] = [[STEPS.get(step, step) + (" from nothing" if steps.get(step, {}).get("from_nothing") else ""),
                               r.value("timings.json", "steps_seconds", step, fmt="min_s")]
                              for step in r.load("timings.json")["steps_seconds"]]
    suites = [[r.value("timings.json", "test", "suites", i, "suite"),
               r.value("timings.json", "test", "suites", i, "seconds", fmt="min_s") if suite.get("seconds") is not None else "-",
               r.value("timings.json", "test", "suites", i, "passed", fmt="count"),
               r.value("timings.json", "test", "suites", i, "failed", fmt="count"),
               r.value("timings.json", "test", "suites", i, "skipped", fmt="count")]
              for i, suite in enumerate(r.load("timings.json")["test"]["suites"])]
    return [Table("table-timings", ["step", "time"], rows),
            Table("table-test-suites", ["suite", "time", "passed", "failed", "skipped"], suites)]


# Each results file's tables, by the name of the step that writes it.
TABLES: dict[str, tuple[str, Callable[[Results], list[Table]]]] = {
    "sizes": ("sizes.json", sizes), "layers": ("layers.json", layers), "binary": ("binary.json", binary),
    "bench": ("bench.json", bench), "scan": ("scan.json", scan), "analyze": ("analyze.json", analyze),
    "bench-build": ("bench-build.json", bench_build), "ci-cache": ("ci-cache.json", ci_cache),
    "binary-sizes": ("binary-sizes.json", binary_sizes), "library-sizes": ("sqlite-library-sizes.json", library_sizes),
    "timings": ("timings.json", timings),
}
