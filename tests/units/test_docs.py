"""The docs' figures (dockerfiles/measure/docs.py): rendered from a record
made here, and the check that fails on a doctored figure, a field the record
lacks, and a measured number written by hand. No engine needed."""

import json

import pytest

import docs

SIZES = [
    {"example": "swift", "image": "swift-app-single", "build_type": "single-stage", "base": "swift:6.3-bookworm",
     "bytes": 4453300000, "compressed_bytes": 1475100000, "layers": 9, "smaller_than_single_stage": 1.0},
    {"example": "swift", "image": "swift-app-scratch", "build_type": "multi-stage, static binary", "base": "scratch",
     "bytes": 22055371, "compressed_bytes": 8537159, "layers": 1, "smaller_than_single_stage": 201.9},
    {"example": "go", "image": "go-app-scratch", "build_type": "multi-stage, static binary", "base": "scratch",
     "bytes": 7100000, "compressed_bytes": 3000000, "layers": 1, "smaller_than_single_stage": 100.0},
]
TIMINGS = {"steps_seconds": {"all": 1377, "test": 2116},
           "test": {"passed": 10, "failed": 0, "skipped": 1, "suites": [
               {"suite": "test_lint", "passed": 10, "failed": 0, "skipped": 1, "seconds": 29}]}}


@pytest.fixture
def record(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    for name, data in {"sizes.json": SIZES, "timings.json": TIMINGS, "run.json": {"from_nothing": True}}.items():
        (folder / name).write_text(json.dumps(data))
    return folder


def page(tmp_path, text):
    path = tmp_path / "page.md"
    path.write_text(text)
    return path


def run(*argv):
    return docs.main([str(a) for a in argv])


def test_render_writes_figures_and_tables_and_names_each_change(record, tmp_path, capsys):
    path = page(tmp_path, "Scratch: <!--f sizes[image=swift-app-scratch].bytes mb-->?<!--/f-->, make test "
                          "<!--f timings.steps_seconds.test min_s-->?<!--/f-->.\n\n"
                          "<!-- table sizes images=swift-app-scratch,go-* columns=image,size -->\n<!-- /table -->\n")
    assert run("render", record, path) == 0
    text = path.read_text()
    assert ">22.1 MB<" in text and ">35 min 16 s<" in text
    assert "| swift-app-scratch | 22.1 MB |\n| go-app-scratch | 7.1 MB |\n<!-- /table -->" in text
    assert "swift-app-single" not in text
    out = capsys.readouterr().out
    assert "page.md:1: sizes[image=swift-app-scratch].bytes: ? -> 22.1 MB" in out and "page.md:3: table sizes" in out
    assert run("check", record, path) == 0


def test_an_expression_of_fields(record, tmp_path):
    path = page(tmp_path, "<!--f ( 1 - sizes[image=swift-app-scratch].bytes / sizes[image=swift-app-single].bytes ) "
                          "* 100 percent-->?<!--/f-->\n")
    assert run("render", record, path) == 0
    assert ">99.5 %<" in path.read_text()


def test_a_doctored_figure_fails_the_check(record, tmp_path, capsys):
    path = page(tmp_path, "<!--f sizes[image=swift-app-scratch].bytes mb-->21.0 MB<!--/f-->\n")
    assert run("check", record, path) == 1
    assert "21.0 MB -> 22.1 MB (differs from the record: run make docs)" in capsys.readouterr().out


def test_a_doctored_table_fails_the_check(record, tmp_path, capsys):
    path = page(tmp_path, "<!-- table sizes columns=image,size -->\n<!-- /table -->\n")
    run("render", record, path)
    path.write_text(path.read_text().replace("22.1 MB", "20.0 MB"))
    assert run("check", record, path) == 1
    assert "table sizes columns=image,size (differs from the record" in capsys.readouterr().out


def test_a_changed_value_in_the_record_names_every_page_that_quotes_it(record, tmp_path, capsys):
    one, two = tmp_path / "one.md", tmp_path / "two.md"
    one.write_text("<!--f sizes[image=go-app-scratch].bytes mb-->7.1 MB<!--/f-->\n")
    two.write_text("<!-- table sizes images=go-app-scratch columns=image,size -->\n<!-- /table -->\n")
    run("render", record, one, two)
    capsys.readouterr()
    sizes = json.loads((record / "sizes.json").read_text())
    sizes[2]["bytes"] = 5100000
    (record / "sizes.json").write_text(json.dumps(sizes))
    assert run("render", record, one, two) == 0
    out = capsys.readouterr().out
    assert "one.md:1: sizes[image=go-app-scratch].bytes: 7.1 MB -> 5.1 MB" in out and "two.md:1: table sizes" in out


@pytest.mark.parametrize("expr, why", [
    ("sizes[image=rust-app-scratch].bytes", "0 elements with image=rust-app-scratch"),
    ("sizes[image=go-app-scratch].megabytes", "the record has no 'megabytes' there"),
    ("bench.images.0.load", "no bench.json in the record"),
    ("sizes[image=go-app-scratch].image", "is 'go-app-scratch', not a number"),
])
def test_a_field_the_record_lacks_fails(record, tmp_path, capsys, expr, why):
    path = page(tmp_path, f"<!--f {expr} mb-->1.0 MB<!--/f-->\n")
    assert run("check", record, path) == 1
    assert why in capsys.readouterr().out


@pytest.mark.parametrize("text", ["The image is 22.1 MB.", "It took 35 min.", "about 4 minutes", "97.8 % smaller",
                                  "43x smaller", "30,123 requests/s", "```\nswift-app-scratch   22.1MB\n```",
                                  "~2 MB", "2 cores"])
def test_a_measured_number_written_by_hand_fails(record, tmp_path, capsys, text):
    path = page(tmp_path, text + "\n")
    assert run("check", record, path) == 1
    assert "a measured number not rendered from the record" in capsys.readouterr().out


@pytest.mark.parametrize("text", ["Swift 6.3 on Debian 13", "port 8080", "steps 1 to 11", "uid 65532",
                                  "<!--ext the original lab's README-->~2 MB<!--/ext-->", "`-Osize`", "sha256:5e9d80"])
def test_other_numbers_and_named_hand_written_figures_pass(record, tmp_path, text):
    assert run("check", record, page(tmp_path, text + "\n")) == 0


def test_a_hand_written_figure_names_its_source(record, tmp_path, capsys):
    assert run("check", record, page(tmp_path, "<!--ext -->2 MB<!--/ext-->\n")) == 1
    assert "no source named" in capsys.readouterr().out


def test_no_record_is_one_line(tmp_path, capsys):
    assert run("check", tmp_path, page(tmp_path, "text\n")) == 1
    assert capsys.readouterr().err.strip().startswith("error: no ")


def test_a_text_field_as_it_is(record, tmp_path):
    (record / "run.json").write_text(json.dumps({"engine": {"server": "26.1.5"}, "from_nothing": True}))
    path = page(tmp_path, "Docker <!--f run.engine.server text-->?<!--/f-->, <!--f run.from_nothing text-->?<!--/f-->\n")
    assert run("render", record, path) == 0
    assert ">26.1.5<" in path.read_text() and ">true<" in path.read_text()


def test_a_marker_in_code_is_an_example_shown_as_it_is(record, tmp_path):
    text = "Write `<!--f sizes[image=go-app-scratch].bytes mb-->x<!--/f-->`, or:\n\n```\n<!--f nothing.here mb-->x<!--/f-->\n```\n"
    path = page(tmp_path, text)
    assert run("render", record, path) == 0 and path.read_text() == text
    assert run("check", record, path) == 0


def test_columns_with_spaces_are_named_with_underscores(record, tmp_path):
    path = page(tmp_path, "<!-- table sizes images=go-app-scratch columns=image,build_type,smaller_than_single_stage -->\n<!-- /table -->\n")
    assert run("render", record, path) == 0
    assert "| image | build type | smaller than single-stage |\n|---|---|---:|\n| go-app-scratch | multi-stage, static binary | 100.0x |" in path.read_text()


def test_the_timings_say_which_steps_began_from_nothing(record, tmp_path):
    timings = dict(TIMINGS, steps={"all": {"seconds": 1377, "from_nothing": True}, "test": {"seconds": 2116, "from_nothing": False}})
    (record / "timings.json").write_text(json.dumps(timings))
    path = page(tmp_path, "<!-- table timings/table-timings -->\n<!-- /table -->\n")
    assert run("render", record, path) == 0
    assert "| make all from nothing | 22 min 57 s |\n| make test | 35 min 16 s |" in path.read_text()
