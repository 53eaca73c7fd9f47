"""The central allowlist: a match spares with its reason, an expired entry no longer
does, a broken list makes the reaper report-only and says so."""
from __future__ import annotations

import dataclasses
import datetime
import json
import pathlib

import boto3
import pytest

from chalicelib import cli, config, reaper, runtime
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.errors import ConfigError
from chalicelib.exemptions import parse
from conftest import EVENTS
from kinds import KINDS

EXAMPLE = pathlib.Path(__file__).parent.parent / "docs" / "exemptions.example.yaml"
FUTURE = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
PAST = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()


def entry(**more) -> dict:
    return {"type": "AWS::DynamoDB::Table", "region": "us-east-1", "id": "table-*",
            "reason": "a migration", "owner": "data@example.com", "expires": FUTURE, **more}


def with_list(*entries) -> Settings:
    return Settings(dry_run=False, exemptions=parse(json.dumps(list(entries))))


def test_the_documented_examples_parse():
    found = parse(EXAMPLE.read_text())
    assert [e.type for e in found] == ["AWS::SNS::Topic", "AWS::Lambda::Function",
                                       "AWS::CloudFormation::Stack"]
    # An example entry for a type Monocyte does not cover would exempt nothing.
    from chalicelib import registry
    assert all(registry.get(e.type).listing or registry.get(e.type).events for e in found)


@pytest.mark.parametrize("text, message", [
    ("[{]", "not valid YAML or JSON"),
    ('{"a": 1}', "must be a sequence"),
    (json.dumps([{"id": "x", "reason": "r", "owner": "o"}]), "entry 1: 'expires'"),
    (json.dumps([entry(expires="next year")]), "'expires' must be a date"),
    (json.dumps([entry(reason="")]), "'reason' is missing"),
    (json.dumps([entry(account="42")]), "not 12 digits"),
    (json.dumps([entry(colour="red")]), "unknown field 'colour'"),
    (json.dumps([entry(type="*", id="*")]), "would exempt everything"),
])
def test_a_malformed_list_is_one_clear_error(text, message):
    with pytest.raises(ConfigError, match=message):
        parse(text)


def test_an_exempt_resource_is_spared_with_its_reason(aws, trail, clients):
    create, exists = KINDS["AWS::DynamoDB::Table"]
    name = create(trail, "us-east-1")
    [outcome] = reaper.reap(trail.events[-1], with_list(entry()), clients)
    assert outcome.action == reaper.SPARED
    assert outcome.reason == f"exempt: a migration (owner data@example.com, until {FUTURE})"
    assert exists("us-east-1", name)


def test_an_expired_exemption_no_longer_spares_and_is_reported(aws, trail, clients):
    create, exists = KINDS["AWS::DynamoDB::Table"]
    name = create(trail, "us-east-1")
    [outcome] = reaper.reap(trail.events[-1], with_list(entry(expires=PAST)), clients)
    assert outcome.action == reaper.KILLED
    assert f"exemption expired on {PAST}" in outcome.reason
    assert not exists("us-east-1", name)


def test_an_exemption_for_another_region_or_account_does_not_apply(aws, trail, clients):
    create, exists = KINDS["AWS::DynamoDB::Table"]
    create(trail, "us-east-1")
    settings = with_list(entry(region="us-west-2"), entry(account="999999999999"))
    [outcome] = reaper.reap(trail.events[-1], settings, clients)
    assert outcome.action == reaper.KILLED


def test_a_broken_list_makes_the_reaper_report_only_and_loud(aws, trail, tmp_path,
                                                             monkeypatch, caplog):
    broken = tmp_path / "exemptions.yaml"
    broken.write_text("- id: [unclosed\n")
    monkeypatch.setenv("MONOCYTE_EXEMPTIONS_FILE", str(broken))
    monkeypatch.setenv("MONOCYTE_DRY_RUN", "false")
    create, exists = KINDS["AWS::DynamoDB::Table"]
    name = create(trail, "us-east-1")
    runtime.reset()
    with caplog.at_level("INFO", logger="monocyte"):
        [outcome] = runtime.reap(trail.events[-1])
    runtime.reset()
    assert outcome["action"] == reaper.WOULD_KILL and "REPORT-ONLY" in outcome["reason"]
    assert exists("us-east-1", name)
    assert any("exemptions-broken" in r.getMessage() for r in caplog.records)


def test_the_list_is_read_from_its_parameter(aws, trail):
    import yaml

    boto3.client("ssm", "eu-central-1").put_parameter(
        Name="/monocyte/exemptions", Type="String", Value=yaml.safe_dump([entry()]))
    settings = dataclasses.replace(Settings(dry_run=False),
                                   exemptions_parameter="/monocyte/exemptions")
    from chalicelib.exemptions import with_parameter

    loaded = with_parameter(settings, Clients(settings))
    assert [e.reason for e in loaded.exemptions] == ["a migration"]
    missing = dataclasses.replace(settings, exemptions_parameter="/monocyte/nope")
    assert "ParameterNotFound" in with_parameter(missing, Clients(missing)).exemptions_error


def test_explain_applies_the_allowlist_offline(tmp_path, monkeypatch, capsys):
    listed = tmp_path / "exemptions.json"
    listed.write_text(json.dumps([entry(id="monocyte-probe-orders")]))
    monkeypatch.setenv("MONOCYTE_EXEMPTIONS_FILE", str(listed))
    assert cli.main(["explain", str(EVENTS / "dynamodb.CreateTable.json")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["decision"] == "spare" and result["targets"][0]["reason"].startswith("exempt:")
