#!/usr/bin/env python3
"""Draws make report's page from the results folder (docs/09-results.md).

  report.py RESULTS_DIR

writes RESULTS_DIR/report/index.html, one self-contained page (tables, and
charts drawn by matplotlib as inline SVG: no script, no font or file from
elsewhere, so it opens offline), and RESULTS_DIR/report/report.md, the same
in Markdown with the charts beside it in charts/*.svg.

Every number on the page is read from a file of RESULTS_DIR: sizes.json,
layers.json, binary.json and machine.json (dockerfiles/steps/report.sh writes the
last three), and bench.json, scan.json and ci-cache.json when make bench,
make scan and make ci-cache have run. In the HTML each one sits in an
element whose data-src names its file and JSON pointer (RFC 6901) and whose
data-scale is the factor from the stored value to the shown one: make
test reads the page back and checks each against its file. Charts show the
same values; their only numbers are the axes' ticks.
"""

from __future__ import annotations

import html
import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tables
from tables import Results, as_html, as_md

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402

plt.rcParams.update({
    "svg.fonttype": "none",        # text stays text: smaller, and searchable
    "svg.hashsalt": "swiftlab",    # the same ids from run to run
    "font.family": "sans-serif",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
})

# One colour per example; Swift's variants share Swift's family.
COLOURS = {"swift": "#f05138", "sqlite": "#f5845f", "external-api": "#c2361f", "go": "#00add8",
           "java": "#5382a1", "python": "#3776ab", "node": "#5fa04e"}
OTHER = "#888888"


class Page(Results):
    """The page, built as HTML and Markdown side by side, from a results folder."""

    def __init__(self, results: Path | str) -> None:
        super().__init__(results)
        self.html = []
        self.md = []
        self.charts = {}

    def heading(self, level: int, text: str, anchor: str) -> None:
        self.html.append(f'<h{level} id="{anchor}">{html.escape(text)}</h{level}>')
        self.md += ["#" * level + " " + text, ""]

    def text(self, *parts: tables.Part) -> None:
        """A paragraph: plain strings (no digits) and Values."""
        self.html.append("<p>" + as_html(parts) + "</p>")
        self.md += [as_md(parts), ""]

    def tables(self, step: str, only: str | None = None) -> None:
        """The step's tables (or the one whose id is `only`), as tables.py
        builds them: render.py prints the same."""
        for table in tables.TABLES[step][1](self):
            if only and table.anchor != only:
                continue
            self.html += table.html()
            self.md += table.markdown() + [""]

    def chart(self, name: str, figure: Any, caption: str) -> None:
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
        plt.close(figure)
        svg = buffer.getvalue()
        svg = svg[svg.index("<svg"):]  # drop the XML prologue and doctype: inline SVG
        self.charts[name] = svg
        self.html.append(f'<figure id="chart-{name}">{svg}<figcaption>{html.escape(caption)}</figcaption></figure>')
        self.md += [f"![{caption}](charts/{name}.svg)", ""]


def colour(example: str) -> str:
    return COLOURS.get(example, OTHER)


def bytes_ticks(axis: Any) -> None:
    def label(value: float, _: int | None) -> str:
        for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
            if value >= size:
                return f"{value / size:g} {unit}"
        return f"{value:g} B"
    axis.set_major_formatter(FuncFormatter(label))
    axis.set_minor_formatter(NullFormatter())


def grid(axes: Any) -> None:
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)


def barh_figure(count: float) -> tuple[Any, Any]:
    figure, axes = plt.subplots(figsize=(9, 0.32 * count + 1.2))
    axes.invert_yaxis()
    grid(axes)
    return figure, axes


def paired_bytes(names: Sequence[str], colours: Sequence[str], solid: tuple[str, Sequence[float]],
                 hatched: tuple[str, Sequence[float]] | None, title: str) -> Any:
    """Two bars of bytes per name, (label, values) each, on a log scale; hatched may be None."""
    figure, axes = barh_figure(len(names) * 1.5)
    y = range(len(names))
    axes.barh([i - 0.2 for i in y], solid[1], height=0.4, color=colours, label=solid[0])
    if hatched:
        axes.barh([i + 0.2 for i in y], hatched[1], height=0.4, color=colours, alpha=0.45, hatch="///", label=hatched[0])
    axes.set_yticks(list(y), names)
    axes.set_xscale("log")
    bytes_ticks(axes.xaxis)
    axes.set_xlabel("bytes, log scale")
    axes.legend(loc="lower left", bbox_to_anchor=(1.0, 0.0), frameon=False)
    axes.set_title(title)
    return figure


# --- The sections --------------------------------------------------------------------------------

def section(page: Page, file: str, title: str, anchor: str, missing: str | None = None) -> Any:
    """The section's data, under its heading; without the file, None, and the heading and `missing` when given."""
    data = page.load(file)
    if data or missing:
        page.heading(2, title, anchor)
    if not data and missing:
        page.text(missing)
    return data


def header(page: Page) -> None:
    machine = page.load("machine.json")
    page.html.append("<h1>Multi-stage Docker builds, the Swift edition: measured results</h1>")
    page.md += ["# Multi-stage Docker builds, the Swift edition: measured results", ""]
    if machine:
        value = lambda key, fmt="text": page.value("machine.json", key, fmt=fmt)  # noqa: E731
        page.text("Measured on this machine: ", value("cores", "count"), " cores, ", value("memory_mib", "count"),
                  " MiB of memory, ", value("arch"), ", ", value("os"), ", kernel ", value("kernel"),
                  ", Docker Engine ", value("engine"), ". Page drawn ", value("date"), ", lab version ",
                  value("lab_version"), ".")
    page.text("Each section names the make target that measured it: run it again, then make report, to redraw "
              "this page. The lab's docs (docs/09-results.md) read these figures.")


def sizes(page: Page) -> None:
    rows = page.load("sizes.json")
    page.heading(2, "Image sizes", "sizes")
    page.text("From make sizes, read from docker save: the unpacked size of each image's layers (what docker images "
              "shows on the classic image store), and each layer compressed with gzip, which is about what a "
              "registry transfer costs. MB are millions of bytes.")
    figure = paired_bytes([row["image"] for row in rows], [colour(row["example"]) for row in rows],
                          ("uncompressed", [row["bytes"] for row in rows]),
                          ("compressed", [row["compressed_bytes"] for row in rows]),
                          "Image size per image, uncompressed and compressed")
    page.chart("sizes", figure, "Image sizes, log scale: uncompressed (solid) and compressed (hatched), "
               "coloured by language")
    page.tables("sizes")


def layers(page: Page) -> None:
    images = section(page, "layers.json", "The Swift images' layers", "layers")
    if not images:
        return
    page.text("From docker history: the layers of each Swift server image that hold bytes, the base image's "
              "and the image's own. The single-stage image is left out of the chart: its layers, in the table, "
              "would flatten every other bar.")
    shown = [image for image in images if image["type"] != "single-stage"]
    figure, axes = barh_figure(len(shown) + 1)
    names = [image["image"] for image in shown]
    base = [image["base_bytes"] for image in shown]
    axes.barh(names, base, color="#bbbbbb", label="the base image's layers")
    axes.barh(names, [image["own_bytes"] for image in shown], left=base, color=COLOURS["swift"],
              label="the image's own layers")
    bytes_ticks(axes.xaxis)
    axes.set_xlabel("bytes")
    axes.legend(loc="lower left", bbox_to_anchor=(1.0, 0.0), frameon=False)
    axes.set_title("Where the Swift images' bytes are")
    page.chart("layers", figure, "The Swift server's multi-stage images: base layers and own layers")
    page.tables("layers")


def binary(page: Page) -> None:
    data = section(page, "binary.json", "Where the bytes of the static binary go", "binary")
    if not data:
        return
    page.text("The server's fully static binary, as make build takes it out of the scratch image's build stage, "
              "its symbols summed by where their code comes from. It is ",
              page.value("binary.json", "bytes", fmt="mb"), " with its symbols and ",
              page.value("binary.json", "stripped_bytes", fmt="mb"), " stripped, as the images ship it.")
    families = data["families"]
    figure, axes = barh_figure(len(families) + 1)
    axes.barh([f["origin"] for f in families], [f["bytes"] for f in families], color=COLOURS["swift"])
    bytes_ticks(axes.xaxis)
    axes.set_xlabel("bytes of symbols")
    axes.set_title("The static binary's symbols, by origin")
    page.chart("binary", figure, "The static Swift binary's symbols by origin")
    page.tables("binary")


def bench(page: Page) -> None:
    data = section(page, "bench.json", "Start-up, memory and throughput", "bench",
                   "Not measured yet: run make bench (about a quarter of an hour), then make report.")
    if not data:
        return
    images = data["images"]
    reference = data.get("reference")
    page.text("From make bench, measured ", page.value("bench.json", "date"), " on ", page.value("bench.json", "machine"),
              ". Each image runs with host networking on loopback, so that the server is measured and not Docker's "
              "proxy; request logging stays on, as the images ship. In brackets: the ratio to the reference image, ",
              page.value("bench.json", "reference") if reference else "none", ", from the same run.")
    names = [image["image"] for image in images]
    colours = [colour(image["example"]) for image in images]

    def reference_line(axes: Any, values: Sequence[float]) -> None:
        for image, value in zip(images, values):
            if image["image"] == reference:
                axes.axvline(value, color="#333333", linestyle="--", linewidth=0.8)

    # Start-up
    medians = [image["startup_ms"]["median"] for image in images]
    figure, axes = barh_figure(len(images))
    axes.barh(names, medians, color=colours,
              xerr=[[m - image["startup_ms"]["min"] for m, image in zip(medians, images)],
                    [image["startup_ms"]["max"] - m for m, image in zip(medians, images)]],
              error_kw={"ecolor": "#555555", "capsize": 2, "linewidth": 0.8})
    reference_line(axes, medians)
    axes.set_xlabel("ms from docker run to the first answer of /healthz (median; whiskers: min to max)")
    axes.set_title("Start-up")
    page.chart("startup", figure, "Start-up: median and spread; the dashed line is the reference image")

    # Memory
    own = ("its own (not the image's files), idle", [image["memory_kb"]["idle_own"] * 1024 for image in images]) \
        if all("idle_own" in image["memory_kb"] for image in images) else None
    figure = paired_bytes(names, colours, ("resident, idle", [image["memory_kb"]["idle"] * 1024 for image in images]),
                          own, "Resident memory when idle")
    page.chart("memory", figure, "Idle memory: all resident pages (solid), and the container's own (hatched)")

    # Throughput
    rates = [image["load"]["requests_per_second"] for image in images]
    figure, axes = barh_figure(len(images))
    axes.barh(names, rates, color=colours)
    reference_line(axes, rates)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    axes.set_xlabel("requests per second on / (wrk, loopback)")
    axes.set_title("Throughput")
    page.chart("throughput", figure, "Throughput on /; the dashed line is the reference image")
    page.tables("bench", "table-bench")

    moved = [i for i, image in enumerate(images) if image.get("transfer")]
    if not moved:
        if data.get("transfer_not_measured"):
            page.text("Transfer not measured: ", page.value("bench.json", "transfer_not_measured"), ".")
        else:
            page.text("Transfer not measured (make bench BENCH_TRANSFER=0).")
        return
    page.heading(2, "Transfer: push, pull and cold start", "transfer")
    page.text("docker push to a local registry on loopback, emptied first; docker pull into a second, empty engine, "
              "then docker run to the first answer: a cold start. The slow link is a tc rate limit on that engine's "
              "network; larger images' times at that rate are computed from their bytes.")
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 0.32 * len(moved) + 1.2), sharey=True)
    moved_names = [images[i]["image"] for i in moved]
    moved_colours = [colours[i] for i in moved]
    left.barh(moved_names, [images[i]["transfer"]["bytes"] for i in moved], color=moved_colours)
    left.set_xscale("log")
    bytes_ticks(left.xaxis)
    left.set_xlabel("bytes pushed and pulled, log scale")
    right.barh(moved_names, [images[i]["transfer"]["cold_start_ms"] / 1000 for i in moved], color=moved_colours)
    right.set_xscale("log")
    right.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g} s"))
    right.xaxis.set_minor_formatter(NullFormatter())
    right.set_xlabel("cold start: pull, run, first answer; log scale")
    left.invert_yaxis()
    grid(left)
    grid(right)
    figure.suptitle("What an image's size costs on the wire")
    page.chart("transfer", figure, "Bytes on the wire, and the cold start they cost, both on log scales")
    page.tables("bench", "table-transfer")


def scan(page: Page) -> None:
    data = section(page, "scan.json", "Security", "security", "Not measured yet: run make scan, then make report.")
    if not data:
        return
    page.text("From make scan: what each image holds that an attacker could use, and what a scanner would look "
              "at. Fewer files and packages, no shell and no package manager leave less to attack and less to patch.")
    page.tables("scan")


def ci(page: Page) -> None:
    data = section(page, "ci-cache.json", "CI: what a registry cache saves a fresh runner", "ci")
    if not data:
        return
    page.text("From make ci-cache: a second, empty engine builds ", page.value("ci-cache.json", "dockerfile"),
              " as a fresh CI runner would, with and without the cache another build pushed to a registry.")
    page.tables("ci-cache")


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 80rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
.wide { overflow-x: auto; margin: 1rem 0 2rem; }
table { border-collapse: collapse; font-size: 0.85rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
th.num, td.num { text-align: right; }
td.num { white-space: nowrap; }
figure { margin: 1rem 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.85rem; }
"""


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: report.py RESULTS_DIR")
    results = Path(sys.argv[1])
    if not (results / "sizes.json").exists():
        sys.exit(f"error: no {results}/sizes.json (run: make sizes)")
    page = Page(results)
    for section in (header, sizes, layers, binary, bench, scan, ci):
        section(page)
    out = results / "report"
    (out / "charts").mkdir(parents=True, exist_ok=True)
    for old in (out / "charts").glob("*.svg"):
        old.unlink()
    for name, svg in page.charts.items():
        (out / "charts" / f"{name}.svg").write_text(svg)
    (out / "index.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Multi-stage Docker builds, '
        f"the Swift edition: measured results</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(page.html) + "\n</body></html>\n")
    (out / "report.md").write_text("\n".join(page.md))


if __name__ == "__main__":
    main()
