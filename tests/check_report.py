#!/usr/bin/env python3
"""Reads make report's page back, the way tests/test_bench.sh checks it.

  check_report.py numbers RESULTS_DIR
      every number on RESULTS_DIR/report/index.html against its results
      file: each element with a data-src must show the value at that JSON
      pointer (times its data-scale, to the decimals shown); any other text
      with a digit is a stray number, unless it is an axis tick of a chart.
      Also: the page's tables and charts, and whether it loads anything
      from elsewhere. Prints one JSON object.

  check_report.py probe HTML OUT_HTML
      a copy of the page with a script that writes, once the page has
      loaded, the place of every chart and table (for the screenshot).

  check_report.py pixels LAYOUT_JSON SCREENSHOT
      what the screenshot shows where each chart and table is: the share of
      coloured pixels (bars) and of dark pixels (text). Prints JSON.
"""

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

SKIPPED = {"style", "script", "metadata", "title", "defs"}
TICK = re.compile(r"^[xy]tick_\d+$")
# Words with digits that are not figures: latency percentiles, doc pages.
ALLOWED = re.compile(r"\bp(50|99)\b|docs/\d\d[\w-]*\.md")


class Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []          # (tag, attrs) of the open elements
        self.values = []         # [src, scale, text]
        self.stray = []
        self.tables = {}         # id -> rows in tbody
        self.charts = {}         # id -> number of svg elements
        self.external = []
        self.table = None
        self.in_tbody = False

    VOID = {"meta", "br", "img", "input", "link", "hr", "col", "source", "wbr"}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name in ("src", "href", "xlink:href", "data") and value and re.match(r"^(https?:)?//", value):
                self.external.append(f"{tag} {name}={value}")
        if tag == "link" or tag == "script":
            self.external.append(f"<{tag}>")
        if tag == "table":
            self.table = attrs.get("id", "?")
            self.tables[self.table] = 0
        if tag == "tbody":
            self.in_tbody = True
        if tag == "tr" and self.in_tbody and self.table:
            self.tables[self.table] += 1
        if tag == "svg":
            for open_tag, open_attrs in self.stack:
                if open_tag == "figure":
                    self.charts[open_attrs.get("id", "?")] = self.charts.get(open_attrs.get("id", "?"), 0) + 1
        if tag in self.VOID:
            return
        if "data-src" in attrs:
            self.values.append([attrs["data-src"], attrs.get("data-scale"), ""])
        self.stack.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        """<path ... />: its attributes count, but it holds nothing."""
        self.handle_starttag("void-" + tag if tag not in self.VOID else tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.in_tbody = False
        if tag == "table":
            self.table = None
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag == tag:
                break

    def handle_data(self, data):
        if any(tag in SKIPPED for tag, _ in self.stack):
            return
        owner = next((attrs for _, attrs in reversed(self.stack) if "data-src" in attrs), None)
        if owner is not None:
            # The innermost element with a data-src is the last one opened and still open.
            for value in reversed(self.values):
                if value[0] == owner["data-src"]:
                    value[2] += data
                    break
            return
        if any(tag == "g" and TICK.match(attrs.get("id", "")) for tag, attrs in self.stack):
            return
        text = ALLOWED.sub("", data)
        if re.search(r"\d", text):
            self.stray.append(data.strip()[:80])


def resolve(results, src):
    file, _, pointer = src.partition("#")
    node = json.loads((results / file).read_text())
    for part in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def agrees(shown, stored, scale):
    """Whether the text shown is the stored value, scaled and rounded as shown."""
    if scale is None:
        if isinstance(stored, list):
            return True  # a list shown in short (make scan's paths by their names)
        return shown == str(stored) or (stored is None and shown == "-")
    if stored is None:
        return shown == "-"
    match = re.search(r"-?[\d,]+(\.\d+)?", shown)
    if not match:
        return False
    number = float(match.group(0).replace(",", ""))
    decimals = len(match.group(1)) - 1 if match.group(1) else 0
    expected = (len(stored) if isinstance(stored, list) else stored) * float(scale)
    return abs(number - expected) <= 0.5 * 10 ** -decimals + 1e-9


def numbers(results):
    results = Path(results)
    reader = Reader()
    reader.feed((results / "report" / "index.html").read_text())
    mismatches = []
    for src, scale, shown in reader.values:
        try:
            stored = resolve(results, src)
        except (OSError, KeyError, IndexError, ValueError) as error:
            mismatches.append(f"{src}: not in the results ({error})")
            continue
        if not agrees(shown.strip(), stored, scale):
            mismatches.append(f"{src}: shows {shown.strip()!r}, the file holds {stored!r}")
    return {"values": len(reader.values), "mismatches": mismatches, "stray": reader.stray,
            "tables": reader.tables, "charts": reader.charts, "external": reader.external}


PROBE = """<script>
window.addEventListener("load", () => {
  const places = {};
  document.querySelectorAll("figure[id], table[id]").forEach((element) => {
    const box = element.getBoundingClientRect();
    places[element.id] = [box.left + scrollX, box.top + scrollY, box.width, box.height];
  });
  const out = document.createElement("pre");
  out.id = "layout";
  out.textContent = JSON.stringify({width: document.documentElement.scrollWidth,
                                    height: document.documentElement.scrollHeight, places});
  document.body.appendChild(out);
});
</script>"""


def probe(page, out):
    text = Path(page).read_text()
    Path(out).write_text(text.replace("</body>", PROBE + "</body>"))


def pixels(layout_file, screenshot):
    from PIL import Image

    layout = json.loads(Path(layout_file).read_text())
    image = Image.open(screenshot).convert("RGB")
    shown = {}
    for name, (left, top, width, height) in layout["places"].items():
        box = (int(left), int(top), int(left + width), int(top + height))
        if width < 1 or height < 1 or box[3] > image.height:
            shown[name] = {"width": width, "height": height, "coloured": 0, "dark": 0}
            continue
        crop = image.crop(box)
        raw = crop.tobytes()
        data = list(zip(raw[0::3], raw[1::3], raw[2::3]))
        coloured = sum(1 for r, g, b in data if max(r, g, b) - min(r, g, b) > 60)
        dark = sum(1 for r, g, b in data if max(r, g, b) < 110)
        shown[name] = {"width": round(width), "height": round(height),
                       "coloured": round(coloured / len(data), 4), "dark": round(dark / len(data), 4)}
    return {"screenshot": list(image.size), "places": shown}


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    command = sys.argv[1]
    if command == "numbers" and len(sys.argv) == 3:
        print(json.dumps(numbers(sys.argv[2]), indent=1))
    elif command == "probe" and len(sys.argv) == 4:
        probe(sys.argv[2], sys.argv[3])
    elif command == "pixels" and len(sys.argv) == 4:
        print(json.dumps(pixels(sys.argv[2], sys.argv[3]), indent=1))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
