"""monocyte coverage counts CloudFormation types: curated, generic, event-only,
refused, not covered, overall and for data services."""
from __future__ import annotations

import json

from chalicelib import cli, registry, type_coverage
from chalicelib.generic import load


def test_at_least_400_data_types_are_covered():
    total = type_coverage.summary(type_coverage.types())
    assert total["data"]["covered"] >= 400
    assert total["data"]["curated"] == len(registry.all_types())


def test_each_type_has_one_state_that_matches_its_layer():
    rows = {r["type"]: r for r in type_coverage.types()}
    assert rows["AWS::S3::Bucket"]["state"] == "curated"
    assert rows["AWS::Cognito::UserPool"]["state"] == "generic"
    assert rows["AWS::Backup::BackupVault"]["state"] == "curated"  # refused by the generic layer
    assert rows["AWS::QLDB::Ledger"]["state"] == "refused"
    assert rows["AWS::IAM::Role"] == {"type": "AWS::IAM::Role", "service": "IAM",
                                      "state": "not covered", "data": False}
    event_only = [n for n, g in load().items() if g.event_only]
    assert event_only and all(rows[n]["state"] == "event-only" for n in event_only)


def test_json_lists_the_types(capsys):
    assert cli.main(["coverage", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["cfn"]["data"]["covered"] == sum(
        1 for r in data["cfn_types"] if r["data"] and type_coverage.covered(r))


def test_types_table_prints_per_service(capsys):
    assert cli.main(["coverage", "--types"]) == 0
    out = capsys.readouterr().out
    assert "Cognito" in out and "Data services:" in out
