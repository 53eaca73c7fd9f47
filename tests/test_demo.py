"""`monocyte demo` tells the whole story against moto's server and exits 0."""
from __future__ import annotations

import pathlib
import re

import pytest

from chalicelib import cli

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture(scope="module")
def out():
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert cli.main(["demo"]) == 0
    return printed.getvalue()


def test_demo_kills_outside_the_eu_and_spares_inside(out):
    assert "KILLED" in out and "SPARED" in out
    assert "all 27 outside them are gone" in out  # 24 curated + 3 log groups (generic)
    assert "AWS::Logs::LogGroup" in out
    assert "0 killed twice" in out
    assert "Non-EU resources left: 0." in out


def test_the_counts_agree_with_the_rows(out):
    said = re.search(r"(\d+) create calls \((\d+) resources: each launch starts 2 instances\) "
                     r"in 5 regions", out)
    assert said, out[:400]
    table = out.split("2. CloudTrail delivers")[1].split("3. What the emulator")[0]
    rows = [line for line in table.splitlines()[3:] if line.strip()]
    assert len(rows) == int(said.group(2))
    assert int(said.group(1)) < len(rows)
    # No blank MS cell: the second instance of a launch says it was the same call.
    assert all(re.search(r"(KILLED|SPARED)\s+(\d+|same call)\s", row) for row in rows), rows


def test_a_message_says_done_first_only_when_something_was(out):
    assert "Done first: none" not in out
    assert "Done first: termination protection disabled." in out


def test_the_deferred_volumes_are_explained(out):
    assert re.search(r"Deferred: \d+ resources? not deletable yet .*a deferred kill is "
                     r"queued and tries again later\. \d+ of them already went", out)


def test_the_readme_sample_message_is_the_demos(out):
    sample = README.read_text().split("**A message**")[1].split("```")[1].strip().splitlines()
    first = out.split("the first 2:")[1].strip().splitlines()[:len(sample)]
    shown = [line.removeprefix("    | ").removeprefix("| ") for line in first]
    # Same lines in the same order; ids and times differ from run to run.
    assert [line.split(":")[0] for line in shown] == [line.split(":")[0] for line in sample]
    assert shown[0] == sample[0] and shown[-1] == sample[-1]
