"""Small things a first user trips over: each one clear line, never a traceback."""
from __future__ import annotations

import subprocess
import sys

import pytest

from chalicelib import cli
from conftest import EVENTS


@pytest.mark.parametrize("content", [None, "allow: [unclosed\n"])
def test_explain_with_a_broken_exemptions_list_says_so_and_fails(
        content, tmp_path, monkeypatch, capsys):
    path = tmp_path / "exemptions.yaml"
    if content is not None:
        path.write_text(content)
    monkeypatch.setenv("MONOCYTE_EXEMPTIONS_FILE", str(path))

    code = cli.main(["explain", str(EVENTS / "ec2.CreateVolume.json")])

    out, err = capsys.readouterr()
    assert code != 0
    assert out == ""  # no "kill" the reaper would not do
    assert len(err.strip().splitlines()) == 1 and "REPORT-ONLY" in err


def test_policy_with_a_broken_exemptions_list_fails(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MONOCYTE_EXEMPTIONS_FILE", str(tmp_path / "missing.yaml"))

    assert cli.main(["policy", "--stage", "prod"]) != 0
    assert capsys.readouterr().out == ""


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("monocyte ")


@pytest.mark.parametrize("argv", [["template", "central"], ["coverage", "--all"]])
def test_output_piped_into_head_ends_without_a_traceback(argv):
    code = "import sys; from chalicelib import cli; sys.exit(cli.main(sys.argv[1:]))"
    piped = subprocess.Popen([sys.executable, "-c", code, *argv], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    piped.stdout.close()  # the reader gone before the first line, as `| head` may be
    err = piped.stderr.read().decode()
    assert piped.wait(timeout=120) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_counts_agree_with_their_nouns():
    from chalicelib.text import count

    assert count(1, "hole") == "1 hole"
    assert count(0, "hole") == "0 holes"
    assert count(2, "region") == "2 regions"
