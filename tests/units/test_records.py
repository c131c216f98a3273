"""The records that the measuring steps write (dockerfiles/measure/records.py),
from readings made here: docker history lines, bench.py's figures, dive's
report, the scan's files. Each test runs the command as the steps do, its
input on stdin, and reads the JSON it prints. No engine needed."""

import io
import json
import sys

import pytest

import records


def run(argv, stdin="", capsys=None, monkeypatch=None):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    records.main(argv)
    out = capsys.readouterr().out
    try:
        return json.loads(out)
    except json.JSONDecodeError:
        return out


@pytest.fixture
def cmd(capsys, monkeypatch):
    return lambda argv, stdin="": run(argv, stdin, capsys, monkeypatch)


def history(*entries):
    """docker history --format '{{json .}}': newest first, sizes as text."""
    return "\n".join(json.dumps({"Size": str(size), "CreatedBy": created_by}) for size, created_by in entries) + "\n"


def test_median_of_an_odd_and_an_even_count_and_of_none():
    assert records.median_ms([30, 10, 20]) == 20
    assert records.median_ms([10, 40, 20, 31]) == 25  # (20 + 31) / 2, the lower whole ms
    assert records.median_ms([]) is None


def test_rounding_is_half_away_from_zero_as_jq_rounds():
    assert records.half_up(2.5) == 3
    assert records.half_up(0.125 * 100) == 13
    assert records.number(1.0) == 1 and isinstance(records.number(1.0), int)
    assert records.number(0.75) == 0.75


def test_records_in_reads_files_one_after_the_other_and_lines():
    assert list(records.records_in('{"a": 1}\n{\n "b": 2\n}{"c": 3}\n')) == [{"a": 1}, {"b": 2}, {"c": 3}]
    assert list(records.records_in("  \n")) == []


def test_bench_build_case(cmd):
    case = cmd(["bench-build-case", "--example=go", "--dockerfile=examples/go/Dockerfile", "--step=RUN go mod download",
                "--context=1200", "--folder=3400", "--a=9000 7000 8000 ", "--b=300 ", "--c=2000 1000 ", "--d=",
                "--dep-c=CACHED CACHED ", "--dep-d=", "--ran-c=[build 4/5] RUN go build\n-x line\n", "--cold-sha=ab cd ",
                "--lab=go-app-scratch", "--lab-sha=ab", "--image-bytes=7100000"])
    assert case["image_bytes"] == 7100000
    assert case["ms"] == {"a": [9000, 7000, 8000], "b": [300], "c": [2000, 1000], "d": []}
    assert case["median_ms"] == {"a": 8000, "b": 300, "c": 1500, "d": None}
    assert case["dependency_step_after_c"] == ["CACHED", "CACHED"] and case["dependency_step_after_d"] == []
    assert case["steps_ran_after_c"] == ["[build 4/5] RUN go build", "-x line"]
    assert case["cold_program_sha256"] == ["ab", "cd"] and case["lab_program_sha256"] == "ab"
    assert (case["context_bytes"], case["folder_bytes"]) == (1200, 3400)


def test_bench_build_gathers_its_cases(cmd):
    out = cmd(["bench-build", "--runs=3", "--slow=120", "--engine=26.1.5"], '{\n "example": "go"\n}\n{"example": "swift"}\n')
    assert [c["example"] for c in out["cases"]] == ["go", "swift"]
    assert (out["runs"], out["slow_s"], out["engine"]) == (3, 120, "26.1.5")
    assert out["cpus"] >= 1 and out["date"].endswith("Z")


def test_bench_ratios_to_the_reference(cmd):
    go = {"image": "go-app-scratch", "startup_ms": {"median": 80}, "memory_kb": {"idle": 1000},
          "load": {"requests_per_second": 40000}}
    swift = {"image": "swift-app-scratch", "startup_ms": {"median": 120}, "memory_kb": {"idle": 3000},
             "load": {"requests_per_second": 30000}, "transfer": {"bytes": 10}}
    out = cmd(["bench", "--reference=go-app-scratch", "--machine=2 cores", "--transfer-why="],
              json.dumps(swift, indent=2) + json.dumps(go))
    assert out["reference"] == "go-app-scratch" and out["transfer_not_measured"] is None
    ratios = out["images"][0]["vs_reference"]
    assert (ratios["startup"], ratios["idle_memory"], ratios["requests_per_second"]) == (1.5, 3, 0.75)
    # No figure, or none for the reference: no ratio.
    assert ratios["memory_after_load"] is None and ratios["transfer_bytes"] is None
    assert out["images"][1]["vs_reference"]["startup"] == 1


def test_bench_without_its_reference_has_no_ratios(cmd):
    out = cmd(["bench", "--reference=go-app-scratch", "--machine=m", "--transfer-why=it needs root"],
              '{"image": "x", "startup_ms": {"median": 5}}')
    assert out["reference"] is None and out["transfer_not_measured"] == "it needs root"
    assert set(out["images"][0]["vs_reference"].values()) == {None}


def test_bench_transfer_and_the_time_at_the_link_rate(cmd):
    out = cmd(["bench-transfer", "--bytes=12500000", "--push-ms=800", '--cold={"pull_ms": 900, "cold_start_ms": 1100}',
               "--link-ms=null", "--mbit=100"], '{"image": "x"}')
    assert out["image"] == "x"
    assert out["transfer"] == {"bytes": 12500000, "push_ms": 800, "pull_ms": 900, "cold_start_ms": 1100,
                               "link_mbit": 100, "link_pull_ms": None, "link_computed_ms": 1000}


def test_history_layers_marks_the_bases_layers_and_drops_empty_ones(cmd):
    text = history((4000, "COPY /out/server /server # buildkit"), (0, "/bin/sh -c #(nop)  USER 65532"),
                   (2000, "/bin/sh -c apt-get install x"), (1000, "ADD rootfs.tar /"))
    out = cmd(["history-layers", "--image=i", "--type=multi-stage", "--base=debian", "--from-base=2"], text)
    assert [(l["index"], l["from_base"], l["bytes"], l["instruction"]) for l in out["layers"]] == [
        (1, True, 1000, "ADD rootfs.tar /"), (2, True, 2000, "apt-get install x"), (4, False, 4000, "COPY /out/server /server")]
    assert (out["base_bytes"], out["own_bytes"]) == (3000, 4000)


def test_history_largest_keeps_three(cmd):
    text = history((5, "a"), (50, "/bin/sh -c #(nop) b"), (500, "c" * 100), (20, "d"))
    out = cmd(["history-largest"], text)
    assert out["count"] == 4
    assert [(l["size"], l["created_by"]) for l in out["largest"]] == [(500, "c" * 90), (50, "b"), (20, "d")]


DIVE = """Image Details:
Inefficient Files:
Count  Wasted Space  File Path
    2        1.2 MB  /var/lib/apt/lists/x
    3         12 kB  /etc/ld.so.cache

Results:
  PASS: highestUserWastedPercent
"""


def test_dive_image_reads_the_wasted_files(cmd, tmp_path):
    (tmp_path / "r.txt").write_text(DIVE)
    out = cmd(["dive-image", "--image=i", "--type=t", "--efficiency=98.5", "--wasted=1234", "--result=pass",
               '--layers={"count": 3, "largest": []}', f"--report={tmp_path / 'r.txt'}"])
    assert out["efficiency"] == 0.985 and out["wasted_bytes"] == 1234 and out["layers"]["count"] == 3
    assert out["wasted_files"] == [{"count": "2", "wasted": "1.2 MB", "path": "/var/lib/apt/lists/x"},
                                   {"count": "3", "wasted": "12 kB", "path": "/etc/ld.so.cache"}]
    assert records.wasted_files("no list here") == []


def test_scan_image_from_its_files(cmd, tmp_path):
    inventory = {"files": 10, "bytes": 999, "os_packages": [{"name": "libc6"}, {"name": "tzdata"}], "shells": [],
                 "package_managers": [], "fetchers": [], "setuid": ["/a"], "setgid": [], "user": "65532",
                 "exposed_ports": ["8080/tcp"], "swift_packages": [{}], "python": [], "node": [],
                 "jlink": None, "go": {"go": {}, "deps": [{}, {}]}, "debian": {"version": "12", "codename": "bookworm"}}
    (tmp_path / "i.inventory.json").write_text(json.dumps(inventory))
    (tmp_path / "i.layers.json").write_text(json.dumps({"findings": [], "packaged_keys": 1}))
    (tmp_path / "i.writable.json").write_text(json.dumps({"all": ["/tmp"], "image": []}))
    (tmp_path / "i.trivy.json").write_text(json.dumps({"Results": [{"Vulnerabilities": [
        {"Severity": "LOW"}, {"Severity": "HIGH"}, {"Severity": "LOW"}]}, {}]}))
    (tmp_path / "lag.tsv").write_text("i\tlibc6\t2.36-9\t2.36-9+deb12u1\nother\ttzdata\t1\t2\n")
    out = cmd(["scan-image", "--image=i", "--example=swift", "--type=t", f"--out={tmp_path}", f"--lag={tmp_path / 'lag.tsv'}",
               "--suites=bookworm-security trixie-security"])
    assert (out["os_packages"], out["setid"], out["packaged_keys"]) == (2, ["/a"], 1)
    assert (out["debian"]["version"], out["security_suite"]) == ("12", "bookworm-security")
    unread = cmd(["scan-image", "--image=i", "--example=swift", "--type=t", f"--out={tmp_path}", f"--lag={tmp_path / 'lag.tsv'}",
                  "--suites=trixie-security"])
    assert unread["security_suite"] is None
    assert out["behind_security"] == [{"package": "libc6", "installed": "2.36-9", "security": "2.36-9+deb12u1"}]
    assert out["trivy"] == {"HIGH": 1, "LOW": 2}
    assert out["sbom_components"] == 2 + 1 + 3  # OS packages, Swift packages, Go and its modules


def test_scan_names_the_images_no_suite_covers(cmd):
    images = [{"image": "a", "os_packages": 5, "security_suite": "trixie-security"},
              {"image": "b", "os_packages": 5, "security_suite": None},
              {"image": "c", "os_packages": 0, "security_suite": None}]
    out = cmd(["scan", "--trivy=yes", "--suites=trixie-security"], "\n".join(json.dumps(i) for i in images))
    assert (out["security_suites"], out["not_compared"]) == (["trixie-security"], ["b"])


def test_binary_shares_of_the_symbols(cmd):
    out = cmd(["binary", "--binary=b", "--bytes=100", "--stripped=80"], "30\tSwift runtime\n10\tNIO\n")
    assert (out["symbol_bytes"], out["no_symbol_bytes"]) == (40, 40)
    assert [(f["origin"], f["share_percent"]) for f in out["families"]] == [("Swift runtime", 75), ("NIO", 25)]


def test_ci_cache_from_its_cases(cmd):
    out = cmd(["ci-cache", "--dockerfile=D", "--resolve=R", "--compile=C", "--push-final=1500", "--push-build=2500"],
              "cold\t90000\tRAN\tRAN\ninline, unchanged\t5000\tCACHED\tCACHED\n")
    assert out["cases"][1] == {"case": "inline, unchanged", "ms": 5000, "resolve": "CACHED", "compile": "CACHED"}
    assert out["push_ms"] == {"final": 1500, "build_stage": 2500}


def test_size_is_one_line_and_its_factor_may_be_missing(cmd, capsys):
    argv = ["size", "--example=go", "--image=go-app-scratch", "--type=t", "--base=scratch", "--bytes=5",
            "--compressed=2", "--layers=1"]
    assert cmd(argv + ["--factor=160.0"])["smaller_than_single_stage"] == 160
    assert cmd(argv + ["--factor="])["smaller_than_single_stage"] is None


def test_pins_as_tsv(cmd):
    resolved = {"pins": [{"identity": "swift-nio", "state": {"version": "2.101.3", "revision": "0123456789abcdef"}},
                         {"identity": "hummingbird", "state": {"branch": "main", "revision": "fedcba9876543210"}}]}
    out = cmd(["pins", "--linked=swift-nio hummingbird-core "], json.dumps(resolved))
    assert out.splitlines() == ["package\tversion\trevision\tlinked in", "swift-nio\t2.101.3\t0123456789ab\tyes",
                                "hummingbird\tmain\tfedcba987654\tno"]
    assert cmd(["pins", "--linked=-"], json.dumps(resolved)).splitlines()[1].endswith("\t-")


def test_bad_input_is_one_line(cmd):
    with pytest.raises(SystemExit) as stop:
        cmd(["bench-image", "--example=e", "--type=t"], "not json")
    assert str(stop.value).startswith("error: records.py bench-image: JSONDecodeError")
    with pytest.raises(SystemExit) as stop:
        cmd(["bench-image", "--example=e", "--type=t"], "{} {}")
    assert "expected one JSON record on stdin, got 2" in str(stop.value)


def test_binary_sizes_from_its_variants_and_families(cmd, tmp_path):
    (tmp_path / "v.tsv").write_text("dynamic\t\t900\t800\t9\t7000\nstatic\t-static-executable\t5000\t4000\t0\t0\n")
    (tmp_path / "f.tsv").write_text("3000\tSwift runtime\n500\tNIO\n")
    out = cmd(["binary-sizes", f"--variants={tmp_path / 'v.tsv'}", f"--families={tmp_path / 'f.tsv'}", "--stripped=4000"])
    assert out["variants"][0] == {"variant": "dynamic", "flag": "", "bytes": 900, "stripped_bytes": 800,
                                  "shared_libraries": 9, "swift_runtime_bytes": 7000}
    assert out["static"] == {"stripped_bytes": 4000, "symbol_bytes": 3500, "no_symbol_bytes": 500,
                             "families": [{"origin": "Swift runtime", "bytes": 3000}, {"origin": "NIO", "bytes": 500}]}


def test_library_sizes(cmd):
    out = cmd(["library-sizes"], "grdb\t76300000\t61900000\t0\tits own copy, compiled in\n")
    assert out == {"libraries": [{"library": "grdb", "bytes": 76300000, "stripped_bytes": 61900000,
                                  "internationalization_symbols": 0, "sqlite": "its own copy, compiled in"}]}


def test_bases_keeps_the_earlier_ones_in_the_tables_order(cmd, tmp_path):
    (tmp_path / "earlier").write_text('{"key": "golang", "name": "g", "id": "sha256:1"}\n')
    out = cmd(["bases", "--mode=local", "--order=slim static golang swift ", f"--earlier={tmp_path / 'earlier'}"],
              "swift\tSWIFT_IMAGE\tswift:6.3\tlocal/swift\tsha256:2\t4000\tdebian 12\t2.36\n"
              "slim\tDEBIAN_IMAGE\tdebian\tlocal/debian\tsha256:3\t80\tdebian 13\t2.41\n")
    assert out["mode"] == "local"
    assert [b["key"] for b in out["bases"]] == ["slim", "golang", "swift"]
    assert out["bases"][0] == {"key": "slim", "build_arg": "DEBIAN_IMAGE", "official": "debian", "name": "local/debian",
                               "id": "sha256:3", "size": 80, "release": "debian 13", "glibc": "2.41"}
    assert cmd(["bases", "--mode=registry", "--order=slim", "--earlier="], "")["bases"] == []
