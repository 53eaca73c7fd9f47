"""`monocyte explain` for a generic create: the same contract as a curated one, offline.
The target is named from the record when the table knows where its identifier is;
otherwise explain says the reaper would sweep the type."""
from __future__ import annotations

import json

from chalicelib import cli, reaper
from chalicelib.config import Settings
from conftest import load_event
from test_explain import no_aws  # noqa: F401 (autouse: explain makes no AWS client)

EU = Settings()


def _user_pool(region: str = "us-east-1") -> dict:
    # The recorded log-group sample, turned into Cognito's CreateUserPool (the
    # response's userPool.id, as in botocore's CreateUserPoolResponse).
    event = load_event("logs.CreateLogGroup")
    event["region"] = event["detail"]["awsRegion"] = region
    event["source"] = "aws.cognito-idp"
    event["detail"].update(eventSource="cognito-idp.amazonaws.com", eventName="CreateUserPool",
                           requestParameters={"poolName": "abroad"},
                           responseElements={"userPool": {"id": f"{region}_AbCdEf123",
                                                          "name": "abroad"}})
    return event


def test_a_recorded_log_group_create_outside_the_eu_would_be_killed_by_name():
    result = reaper.explain(load_event("logs.CreateLogGroup"), EU)  # ap-southeast-2
    assert result["decision"] == "kill"
    assert [(t["type"], t["id"], t["region"], t["decision"]) for t in result["targets"]] == [
        ("AWS::Logs::LogGroup", "some-random-log-group", "ap-southeast-2", "kill")]


def test_a_cognito_user_pool_is_named_from_the_response():
    [target] = reaper.explain(_user_pool(), EU)["targets"]
    assert (target["type"], target["id"], target["decision"]) == (
        "AWS::Cognito::UserPool", "us-east-1_AbCdEf123", "kill")
    assert "sweep" not in target


def test_the_recorded_identity_pool_create_is_named_from_the_response():
    result = reaper.explain(load_event("cognito-identity.CreateIdentityPool"), EU)
    assert [(t["type"], t["id"]) for t in result["targets"]] == [
        ("AWS::Cognito::IdentityPool", "us-east-1:1cf667a2-49a6-454b-9e45-23199EXAMPLE")]


def test_a_record_without_the_identifier_says_the_type_would_be_swept():
    event = _user_pool()
    event["detail"]["responseElements"] = None  # a record CloudTrail cut short
    result = reaper.explain(event, EU)
    [target] = result["targets"]
    assert result["decision"] == "kill"
    assert target["sweep"] is True and target["id"] == ""
    assert "sweep" in target["reason"] and "defaults" in target["reason"]


def test_in_an_allowed_region_a_generic_create_is_ignored():
    assert reaper.explain(_user_pool("eu-central-1"), EU)["decision"] == "ignore"
    event = load_event("logs.CreateLogGroup")
    event["region"] = event["detail"]["awsRegion"] = "eu-west-1"
    assert reaper.explain(event, EU) == {"decision": "ignore",
                                         "reason": reaper.explain(event, EU)["reason"],
                                         "targets": []}


def test_the_cli_prints_the_contracts_json(tmp_path, capsys):
    path = tmp_path / "event.json"
    path.write_text(json.dumps(_user_pool()))
    assert cli.main(["explain", str(path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["decision"] == "kill"
    assert set(printed["targets"][0]) >= {"type", "id", "region", "account", "decision",
                                          "reason"}


def test_a_child_type_not_named_in_the_record_is_reported_and_left_to_the_scan():
    # Glue's CreateTable makes an AWS::Glue::Table, listed only through its database.
    event = load_event("dynamodb.CreateTable")
    event["source"] = "aws.glue"
    event["detail"]["eventSource"] = "glue.amazonaws.com"
    result = reaper.explain(event, EU)
    assert result["decision"] == "report" and result["targets"] == []
    assert "nightly scan" in result["reason"]
