#!/usr/bin/env python3
"""The figures of README.md and docs/, rendered from one recorded run.

  docs.py render RECORD_DIR FILE...   rewrite each FILE's figures from RECORD_DIR,
                                      print every figure that changed
  docs.py check RECORD_DIR FILE...    print each problem, one line each; exit 1 if any

make record writes RECORD_DIR (docs/results): the results files of one run.
A page quotes them in two ways, both invisible once the Markdown is shown:

  a table, between
      <!-- table STEP[/TABLE-ID] [images=GLOB,GLOB] [columns=NAME,NAME] -->
      <!-- /table -->
  with STEP one of tables.py's (sizes, bench, scan, ...): its table (or the
  one with that id), its rows cut to those whose image matches a GLOB, its
  columns to those headers (spaces and commas in a header written _:
  build_type, setuid_setgid);

  a figure in prose, as
      <!--f EXPRESSION FORMAT-->22.1 MB<!--/f-->
  EXPRESSION is a field, FILE.KEY.KEY..., where a KEY of the form
  [name=value] picks the element of a list whose name is value and a number
  an element by its place (sizes[image=swift-app-scratch].bytes,
  timings.steps_seconds.test); or fields and numbers joined by + - * / and
  brackets. FORMAT is one of tables.Value's: mb, gb, percent, count, x,
  min_s (seconds as "35 min 16 s"), minutes (as "35 min"), ...; or text, a
  field that is a text (run.engine.server), shown as it is.

Figures from elsewhere (the original lab's, an upstream image's) are
written by hand between <!--ext SOURCE--> and <!--/ext-->, SOURCE naming
where they are from. check fails on: a block or figure that differs from
what render writes, a field the record does not have, and a measured number
(a size, a time, a percentage, a ratio, a rate) anywhere else, fenced code
included. Standard library only.
"""

from __future__ import annotations

import ast
import fnmatch
import operator
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable
from typing import Any

import tables

TABLE = re.compile(r"<!-- table (?P<spec>[^>]*?) -->\n(?P<body>.*?)<!-- /table -->", re.S)
FIGURE = re.compile(r"<!--f (?P<expr>.+?) (?P<fmt>[a-z_]+)-->(?P<shown>.*?)<!--/f-->")
EXTERNAL = re.compile(r"<!--ext (?P<source>[^>]*?)-->(?P<text>.*?)<!--/ext-->", re.S)
# A measured number: a figure with a unit of size, time, share, ratio or rate.
UNITS = (r"(?:[kKMGT]i?B|bytes|B\b|ms\b|s\b|sec(?:ond)?s?\b|min(?:ute)?s?\b|h\b|hours?\b|%|x\b|×|"
         r"requests?/s|req/s|Mbit/s|cores?\b|times\b)")
MEASURED = re.compile(r"(?<![\w.:/=-])(?:~|≈)?\d[\d,]*(?:\.\d+)?(?:\s?-\s?\d+(?:\.\d+)?)?\s?" + UNITS)


class FigureError(Exception):
    pass


def field(r: tables.Results, ref: str, text: bool = False) -> Any:
    """FILE.KEY... in the record: a number (or, with text, a string)."""
    match = re.match(r"^([a-z][a-z0-9-]*)((?:\.[A-Za-z0-9_-]+|\[[A-Za-z0-9_]+=[^\]]+\])*)$", ref)
    if not match:
        raise FigureError(f"'{ref}' is not a field (FILE.KEY[name=value]...)")
    name = match.group(1) + ".json"
    node: Any = r.load(name)
    if node is None:
        raise FigureError(f"no {name} in the record ({ref})")
    for key in re.findall(r"\.([A-Za-z0-9_-]+)|\[([A-Za-z0-9_]+=[^\]]+)\]", match.group(2)):
        dotted, picked = key
        if picked:
            k, v = picked.split("=", 1)
            found = [e for e in node if isinstance(e, dict) and str(e.get(k)) == v] if isinstance(node, list) else []
            if len(found) != 1:
                raise FigureError(f"{ref}: {len(found)} elements with {k}={v}")
            node = found[0]
        elif isinstance(node, list) and dotted.isdigit() and int(dotted) < len(node):
            node = node[int(dotted)]
        elif isinstance(node, dict) and dotted in node:
            node = node[dotted]
        else:
            raise FigureError(f"{ref}: the record has no '{dotted}' there")
    if text and isinstance(node, (str, bool)):
        return str(node).lower() if isinstance(node, bool) else node
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        raise FigureError(f"{ref} is {node!r}, not a number")
    return node


OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def evaluate(r: tables.Results, expr: str) -> float:
    """A field, or fields and numbers with + - * / and brackets."""
    names: dict[str, float] = {}

    def name_of(token: str) -> str:
        if re.fullmatch(r"[()+\-*/]|\d+(\.\d+)?", token):
            return token
        key = f"_f{len(names)}"
        names[key] = field(r, token)
        return key

    source = " ".join(name_of(t) for t in expr.replace("(", " ( ").replace(")", " ) ").split())

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BinOp) and type(node.op) in OPS:
            return OPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name) and node.id in names:
            return names[node.id]
        raise FigureError(f"'{expr}' is not fields and numbers joined by + - * /")

    try:
        return walk(ast.parse(source, mode="eval"))
    except (SyntaxError, ZeroDivisionError) as error:
        raise FigureError(f"'{expr}': {error}") from None


def shown(value: float, fmt: str) -> str:
    if tables.Value.FORMATS.get(fmt) is None:
        raise FigureError(f"no format '{fmt}' (one of {', '.join(k for k, v in tables.Value.FORMATS.items() if v)})")
    return tables.Value("-", (), value, fmt).shown()


def table(r: tables.Results, spec: str) -> str:
    words = spec.split()
    if not words:
        raise FigureError("a table with no step")
    step, _, anchor = words[0].partition("/")
    if step not in tables.TABLES:
        raise FigureError(f"no step '{step}' (one of {', '.join(sorted(tables.TABLES))})")
    options = dict(w.split("=", 1) for w in words[1:] if "=" in w)
    unknown = [w for w in words[1:] if "=" not in w or w.split("=", 1)[0] not in ("images", "columns")]
    if unknown:
        raise FigureError(f"table {spec}: unknown option {unknown[0]} (images=..., columns=...)")
    file, build = tables.TABLES[step]
    if r.load(file) is None:
        raise FigureError(f"no {file} in the record (table {spec})")
    try:
        built = build(r)
    except (KeyError, IndexError, TypeError) as error:
        raise FigureError(f"{file} is not what make {step} writes ({type(error).__name__}: {error})") from None
    chosen = [t for t in built if not anchor or t.anchor == anchor]
    if not chosen:
        raise FigureError(f"make {step} has no table {anchor}")
    out = []
    for t in chosen:
        header = [tables.as_md(tables.parts_of(h)) for h in t.header]
        rows = t.rows
        if "images" in options:
            patterns = options["images"].split(",")
            column = header.index("image") if "image" in header else 0
            rows = [row for row in rows if any(fnmatch.fnmatchcase(tables.as_md(tables.parts_of(row[column])), p) for p in patterns)]
            rows.sort(key=lambda row: next(i for i, p in enumerate(patterns)
                                           if fnmatch.fnmatchcase(tables.as_md(tables.parts_of(row[column])), p)))
        keep = list(range(len(header)))
        if "columns" in options:
            # A header's spaces and commas are written _: build_type, setuid_setgid.
            norm = lambda name: re.sub(r"[^a-z0-9/%()]+", "_", name.lower()).strip("_")  # noqa: E731
            short = [norm(h) for h in header]
            names = [norm(n) for n in options["columns"].split(",")]
            missing = [n for n in names if n not in short]
            if missing:
                raise FigureError(f"table {spec}: no column '{missing[0]}' (columns: {', '.join(short)})")
            keep = [short.index(n) for n in names]
        cut = tables.Table(t.anchor, [t.header[i] for i in keep], [[row[i] for i in keep] for row in rows])
        out.append("\n".join(cut.markdown()))
    return "\n\n".join(out) + "\n"


@dataclass
class Page:
    path: Path
    text: str
    problems: list[str]
    changes: list[str]


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


CODE = re.compile(r"^(```|~~~).*?^\1[ \t]*$|`[^`\n]+`", re.S | re.M)


def in_code(text: str) -> Callable[[int], bool]:
    """Whether an offset is inside code (a fence or a `span`): a marker
    there is an example of the syntax, shown as it is."""
    spans = [(m.start(), m.end()) for m in CODE.finditer(text)]
    return lambda offset: any(start <= offset < end for start, end in spans)


def render_page(r: tables.Results, path: Path) -> Page:
    text = path.read_text()
    page = Page(path, text, [], [])

    def table_block(m: re.Match[str]) -> str:
        if coded(m.start()):
            return m.group(0)
        try:
            body = table(r, m.group("spec"))
        except FigureError as error:
            page.problems.append(f"{path}:{line_of(text, m.start())}: {error}")
            return m.group(0)
        if body != m.group("body"):
            page.changes.append(f"{path}:{line_of(text, m.start())}: table {m.group('spec')}")
        return f"<!-- table {m.group('spec')} -->\n{body}<!-- /table -->"

    def figure(m: re.Match[str]) -> str:
        if coded(m.start()):
            return m.group(0)
        try:
            if m.group("fmt") == "text":  # a text of the record, as it is: an engine's version, a commit
                value = str(field(r, m.group("expr"), text=True))
            else:
                value = shown(evaluate(r, m.group("expr")), m.group("fmt"))
        except FigureError as error:
            page.problems.append(f"{path}:{line_of(text, m.start())}: {error}")
            return m.group(0)
        if value != m.group("shown"):
            page.changes.append(f"{path}:{line_of(text, m.start())}: {m.group('expr')}: {m.group('shown')} -> {value}")
        return f"<!--f {m.group('expr')} {m.group('fmt')}-->{value}<!--/f-->"

    coded = in_code(text)
    tabled = TABLE.sub(table_block, text)
    coded = in_code(tabled)
    page.text = FIGURE.sub(figure, tabled)
    return page


def stray(path: Path, text: str) -> list[str]:
    """Measured numbers outside the rendered parts and the named hand-written ones."""
    problems = []
    for m in EXTERNAL.finditer(text):
        if not m.group("source").strip():
            problems.append(f"{path}:{line_of(text, m.start())}: a hand-written figure with no source named")
    blank = lambda m: re.sub(r"[^\n]", " ", m.group(0))  # noqa: E731 (keeps the line numbers)
    rest = re.sub(r"<!--.*?-->", blank, EXTERNAL.sub(blank, FIGURE.sub(blank, TABLE.sub(blank, text))), flags=re.S)
    for m in MEASURED.finditer(rest):
        line = text[text.rfind("\n", 0, m.start()) + 1:text.find("\n", m.end())].strip()
        problems.append(f"{path}:{line_of(rest, m.start())}: a measured number not rendered from the record: "
                        f"'{m.group(0)}' in: {line[:120]}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] not in ("render", "check"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    record = Path(argv[1])
    if not (record / "run.json").is_file():
        print(f"error: no {record}/run.json: not a recorded run (run: make record)", file=sys.stderr)
        return 1
    r = tables.Results(record)
    problems: list[str] = []
    for name in argv[2:]:
        path = Path(name)
        page = render_page(r, path)
        problems += page.problems
        if argv[0] == "render":
            if page.text != path.read_text():
                path.write_text(page.text)
            for change in page.changes:
                print(change)
        else:
            problems += [f"{c} (differs from the record: run make docs)" for c in page.changes]
            problems += stray(path, page.text)
    for problem in problems:
        print(problem, file=sys.stderr if argv[0] == "render" else sys.stdout)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
