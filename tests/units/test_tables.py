"""The lab's tables (dockerfiles/measure/tables.py) and their printer
(render.py), from results files made here: each table from its JSON alone,
every figure read from the file with the pointer the report page names. No
engine needed."""

import json

import pytest

import render
import tables

SIZES = [
    {"example": "swift", "image": "swift-app-single", "build_type": "single-stage", "base": "swift:6.3-bookworm",
     "bytes": 4453300000, "compressed_bytes": 1475100000, "layers": 9, "smaller_than_single_stage": 1.0},
    {"example": "swift", "image": "swift-app-scratch", "build_type": "multi-stage, static binary", "base": "scratch",
     "bytes": 9012345, "compressed_bytes": 3456789, "layers": 1, "smaller_than_single_stage": 494.1},
    {"example": "go", "image": "go-app-scratch", "build_type": "multi-stage, static binary", "base": "scratch",
     "bytes": 5100000, "compressed_bytes": 2200000, "layers": 1, "smaller_than_single_stage": None},
]

BENCH = {"date": "2026-12-02", "machine": "2 cores", "reference": "go-app-scratch", "images": [
    {"image": "swift-app-scratch", "example": "swift", "type": "multi-stage, static binary",
     "startup_ms": {"median": 120.4, "min": 110, "max": 150},
     "memory_kb": {"idle": 20480, "idle_own": 10240, "after_load": 40960},
     "load": {"requests_per_second": 30123.6, "p50_ms": 0.9, "p99_ms": 4.2},
     "vs_reference": {"startup": 1.5, "idle_memory": 2, "requests_per_second": 0.75},
     "transfer": {"bytes": 3456789, "push_ms": 800, "pull_ms": 1200, "cold_start_ms": 1500,
                  "link_mbit": 100, "link_pull_ms": None, "link_computed_ms": 277}},
    {"image": "go-app-scratch", "example": "go", "type": "multi-stage, static binary",
     "startup_ms": {"median": 80, "min": 70, "max": 90}, "memory_kb": {"idle": 10240, "after_load": 20480},
     "load": {"requests_per_second": 40000, "p50_ms": 0.7, "p99_ms": 3.1}, "vs_reference": {}},
]}


@pytest.fixture
def results(tmp_path):
    def write(name, data):
        (tmp_path / name).write_text(json.dumps(data))
        return tmp_path
    return write


def test_sizes_table_has_every_image_in_megabytes(results):
    out = render.render("sizes", results("sizes.json", SIZES))
    lines = out.splitlines()
    assert lines[0] == "| example | image | build type | base image | size | compressed | layers | smaller than single-stage |"
    assert lines[1] == "|---|---|---|---|---:|---:|---:|---:|"
    assert lines[3] == "| swift | swift-app-scratch | multi-stage, static binary | scratch | 9.0 MB | 3.5 MB | 1 | 494.1x |"
    assert lines[2].split(" | ")[4:6] == ["4453.3 MB", "1475.1 MB"]
    assert lines[4].endswith("| 1 | - |")  # no single-stage image measured: no ratio


def test_each_figure_on_the_page_names_the_pointer_it_was_read_from(results):
    r = tables.Results(results("sizes.json", SIZES))
    html = "\n".join(tables.sizes(r)[0].html())
    assert '<span class="v" data-src="sizes.json#/1/bytes" data-scale="1e-06">9.0 MB</span>' in html
    assert '<td class=num><span class="v" data-src="sizes.json#/0/layers" data-scale="1">9</span></td>' in html


def test_bench_tables_show_ratios_to_the_reference_and_the_transfer(results):
    out = render.render("bench", results("bench.json", BENCH))
    first, second = out.split("\n\n")
    row = first.splitlines()[2]
    assert row.startswith("| swift-app-scratch | multi-stage, static binary | 120.4 ms (110.0 to 150.0) (1.5x) | 20 MiB (2x) | 10 MiB |")
    assert "| 30124 (0.75x) | 0.9 ms | 4.2 ms |" in row
    go = first.splitlines()[3]
    assert "| 10 MiB | - | 20 MiB | - |" in go  # no own memory measured: "-", not 0
    assert second.splitlines()[0].endswith("| pull at 100 Mbit/s | computed from the bytes |")
    assert second.splitlines()[2] == "| swift-app-scratch | 3.5 MB | 0.8 s | 1.2 s | 1.5 s | - | 0.3 s |"


def test_bench_without_transfer_has_one_table(results):
    data = json.loads(json.dumps(BENCH))
    del data["images"][0]["transfer"]
    assert "\n\n" not in render.render("bench", results("bench.json", data))


def test_scan_lists_programs_by_name_and_counts_findings(results):
    image = {"image": "swift-app-single", "debian": {"version": "12", "codename": "bookworm"},
             "security_suite": "bookworm-security", "files": 30000, "bytes": 4453300000, "os_packages": 120,
             "behind_security": [{"package": "libc6"}], "shells": ["/bin/sh", "/usr/bin/bash", "/bin/bash"],
             "package_managers": ["/usr/bin/apt", "/usr/bin/dpkg"], "fetchers": [], "setuid": ["/usr/bin/su"],
             "setgid": [], "setid": ["/usr/bin/su"], "user": "", "writable": {"all": ["/tmp"], "image": ["/tmp"]}, "layer_findings": [{"path": "x"}]}
    scratch = dict(image, image="swift-app-scratch", debian=None, security_suite=None, files=3, os_packages=0,
                   behind_security=[], shells=[], package_managers=[], setuid=[], setid=[], user="65532:65532",
                   writable={"all": ["exited"]}, layer_findings=[])
    r = results("scan.json", {"security_suites": ["bookworm-security"], "images": [image, scratch]})
    lines = render.render("scan", r).splitlines()
    assert lines[2] == "| swift-app-single | 12 | 30000 | 4453.3 | 120 | 1 | bash, sh | apt, dpkg | none | 1 | root | /tmp | 1 |"
    # No packages: nothing to compare, 0 behind; no Debian release: "-".
    assert lines[3].startswith("| swift-app-scratch | - | 3 |")
    assert lines[3].endswith("| 0 | 0 | none | none | none | 0 | 65532:65532 | (exited) | 0 |")
    # Packages whose release's suite was not read: "-", never 0.
    no_suite = results("scan.json", {"security_suites": [], "images": [dict(image, security_suite=None)]})
    assert render.render("scan", no_suite).splitlines()[2].split(" | ")[5] == "-"


def test_analyze_escapes_a_pipe_in_an_instruction(results):
    data = [{"image": "a", "type": "single-stage", "efficiency": 0.9912, "wasted_bytes": 81864000, "result": "pass",
             "layers": {"count": 13, "largest": [{"size": 3519700000, "created_by": "RUN a | b"}]}},
            {"image": "b", "type": "scratch", "efficiency": 1, "wasted_bytes": 0, "result": "pass",
             "layers": {"count": 1, "largest": [{"size": 9000000, "created_by": ""}]}}]
    lines = render.render("analyze", results("analyze.json", data)).splitlines()
    assert lines[2] == "| a | single-stage | 13 | 99.1 % | 81864 kB | 3519.7 MB: `RUN a \\| b` | pass |"
    assert "9.0 MB: the first layer (no instruction: an imported file system)" in lines[3]


def test_bench_build_percentages_are_of_the_cold_build(results):
    case = {"example": "go", "dockerfile": "examples/go/Dockerfile", "context_bytes": 4200, "folder_bytes": 2500000,
            "median_ms": {"a": 40000, "b": 1000, "c": 10000, "d": None}, "dependency_step_after_c": ["CACHED", "CACHED"],
            "cold_program_sha256": ["ab" * 32, "ab" * 32], "lab_image": "go-app-scratch", "lab_program_sha256": "ab" * 32}
    r = results("bench-build.json", {"cases": [case]})
    main = render.render("bench-build", r, "table-bench-build").splitlines()
    assert main[2] == "| go | examples/go/Dockerfile | 40.0 s | 1.0 s (3 %) | 10.0 s (25 %) | - | CACHED | 4 kB (2.5 MB) | - |"
    case["image_bytes"] = 7100000
    assert render.render("bench-build", results("bench-build.json", {"cases": [case]}), "table-bench-build").splitlines()[2].endswith(" | 7.1 MB |")
    same = render.render("bench-build", r, "table-reproducible").splitlines()
    assert same[2] == f"| examples/go/Dockerfile | {'ab' * 6}, {'ab' * 6} | go-app-scratch | {'ab' * 6} | yes |"
    case["lab_program_sha256"] = "cd" * 32
    assert render.render("bench-build", results("bench-build.json", {"cases": [case]}), "table-reproducible").splitlines()[2].endswith("| no |")


def test_ci_cache_shows_each_case_as_a_share_of_the_cold_one(results):
    data = {"dockerfile": "dockerfiles/Dockerfile.scratch", "steps": {"resolve": "swift package resolve", "compile": "swift build -c release"}, "cases": [
        {"case": "cold", "ms": 200000, "resolve": "ran", "compile": "ran"},
        {"case": "inline, unchanged", "ms": 9000, "resolve": "CACHED", "compile": "CACHED"}]}
    lines = render.render("ci-cache", results("ci-cache.json", data)).splitlines()
    assert lines[0].startswith("| on the fresh runner (dockerfiles/Dockerfile.scratch) | time | of cold | swift package resolve | swift build -c release |")
    assert lines[2:] == ["| cold | 200.0 s | 100 % | ran | ran |", "| inline, unchanged | 9.0 s | 5 % | CACHED | CACHED |"]
    html = "\n".join(tables.ci_cache(tables.Results(results("ci-cache.json", data)))[0].html())
    assert 'data-src="ci-cache.json#/cases/1/ms" data-scale="0.0005">5 %<' in html


def test_a_missing_or_foreign_results_file_is_one_line(results, tmp_path):
    with pytest.raises(SystemExit) as stopped:
        render.render("scan", tmp_path)
    assert stopped.value.code == f"error: no {tmp_path}/scan.json (run: make scan)"
    with pytest.raises(SystemExit) as stopped:
        render.render("sizes", results("sizes.json", [{"image": "x"}]))
    assert str(stopped.value.code).startswith(f"error: {tmp_path}/sizes.json is not what make sizes writes")
    (tmp_path / "bench.json").write_text("{not json")
    with pytest.raises(SystemExit) as stopped:
        render.render("bench", tmp_path)
    assert str(stopped.value.code).startswith(f"error: cannot read {tmp_path}/bench.json")


def test_binary_sizes_and_where_the_static_binarys_bytes_go(results):
    data = {"variants": [
        {"variant": "dynamic", "flag": "", "bytes": 9000000, "stripped_bytes": 7000000, "shared_libraries": 12, "swift_runtime_bytes": 60000000},
        {"variant": "static", "flag": "-static-executable", "bytes": 120000000, "stripped_bytes": 90000000, "shared_libraries": 0, "swift_runtime_bytes": 0}],
        "static": {"stripped_bytes": 90000000, "symbol_bytes": 80000000, "no_symbol_bytes": 10000000,
                   "families": [{"origin": "Foundation", "bytes": 79950000}, {"origin": "the server", "bytes": 50000}]}}
    r = results("binary-sizes.json", data)
    variants = render.render("binary-sizes", r, "table-binary-sizes").splitlines()
    assert variants[2:] == ["| dynamic | (none) | 9.0 MB | 7.0 MB | 12 | 60.0 MB |",
                            "| static | -static-executable | 120.0 MB | 90.0 MB | 0 | - |"]
    symbols = render.render("binary-sizes", r, "table-static-symbols").splitlines()
    assert symbols[2:] == ["| Foundation | 80.0 MB | 99.9 % |", "| the server | 50 kB | 0.1 % |",
                           "| (no symbol: unwind tables, Swift metadata, string constants) | 10.0 MB |  |",
                           "| stripped binary | 90.0 MB |  |"]


def test_library_sizes_say_whether_icu_came_along(results):
    data = {"libraries": [
        {"library": "sqlite-nio", "bytes": 40000000, "stripped_bytes": 30000000, "internationalization_symbols": 0, "sqlite": "its own copy, compiled in"},
        {"library": "grdb", "bytes": 90000000, "stripped_bytes": 70000000, "internationalization_symbols": 1234, "sqlite": "the system's libsqlite3"}]}
    lines = render.render("library-sizes", results("sqlite-library-sizes.json", data)).splitlines()
    assert lines[2:] == ["| sqlite-nio | 40.0 MB | 30.0 MB | no | its own copy, compiled in |",
                         "| grdb | 90.0 MB | 70.0 MB | yes (1234 symbols) | the system's libsqlite3 |"]
