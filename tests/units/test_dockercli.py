"""How the Python tools print the commands they run (dockerfiles/measure/
dockercli.py): as the shell steps print theirs, so that a printed command
can be pasted back into a shell. No engine needed."""

import shlex

import pytest

import dockercli


def test_a_word_with_a_space_is_quoted_and_pastes_back():
    argv = ["docker", "run", "--label", "org.opencontainers.image.description=a b", "img"]
    line = dockercli.shown(argv)
    assert line == "docker run --label 'org.opencontainers.image.description=a b' img"
    assert shlex.split(line) == argv


def test_plain_words_are_not_quoted():
    assert dockercli.shown(["docker", "save", "swift-app-scratch:latest"]) == "docker save swift-app-scratch:latest"


def test_show_prints_dollar_and_the_command_to_stderr(capsys):
    dockercli.show(["echo", "it's"])
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "$ echo 'it'\"'\"'s'\n")


def test_a_failing_docker_command_stops_with_one_line(monkeypatch):
    monkeypatch.setattr(dockercli, "DOCKER", "false")
    with pytest.raises(SystemExit) as stopped:
        dockercli.docker("version", "--format", "{{.Server.Version}}")
    assert stopped.value.code == "error: false version --format '{{.Server.Version}}' failed: exit 1"


def test_docker_returns_the_commands_output(monkeypatch):
    monkeypatch.setattr(dockercli, "DOCKER", "echo")
    assert dockercli.docker("a b") == "a b\n"
