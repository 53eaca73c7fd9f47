"""`monocyte demo` tells the whole story against moto's server and exits 0."""
from __future__ import annotations

from chalicelib import cli


def test_demo_kills_outside_the_eu_and_spares_inside(capsys):
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "KILLED" in out and "SPARED" in out
    assert "all 27 outside them are gone" in out  # 24 curated + 3 log groups (generic)
    assert "AWS::Logs::LogGroup" in out
    assert "0 killed twice" in out
    assert "Non-EU resources left: 0." in out
