"""`monocyte explain`: steps 1-3 on recorded CloudTrail events, with no AWS call."""
from __future__ import annotations

import json

import pytest

from chalicelib import cli, reaper
from chalicelib.config import Settings
from conftest import EVENTS, load_event

EU = Settings()


@pytest.fixture(autouse=True)
def no_aws(monkeypatch):
    """Any attempt to make a client fails the test: explain is offline."""
    import boto3.session

    def refuse(*args, **kwargs):
        raise AssertionError("explain made an AWS client")

    monkeypatch.setattr(boto3.session.Session, "client", refuse)


@pytest.mark.parametrize("name, cfn_type, ids, region", [
    ("ec2.RunInstances", "AWS::EC2::Instance",
     ["i-0abc1234def567890", "i-0abc1234def567891"], "us-east-1"),
    ("ec2.CreateVolume", "AWS::EC2::Volume", None, "us-east-1"),
    ("cloudformation.CreateStack", "AWS::CloudFormation::Stack", None, "us-west-2"),
    ("rds.CreateDBInstance", "AWS::RDS::DBInstance", None, "us-east-1"),
    ("rds.CreateDBSnapshot", "AWS::RDS::DBSnapshot", None, "us-east-1"),
    ("dynamodb.CreateTable", "AWS::DynamoDB::Table", None, "us-east-1"),
    ("s3.CreateBucket", "AWS::S3::Bucket", None, "ap-southeast-2"),
    ("s3.CreateBucket.no-constraint", "AWS::S3::Bucket", None, "us-east-1"),
])
def test_recorded_create_events_are_killed_outside_the_eu(name, cfn_type, ids, region):
    result = reaper.explain(load_event(name), EU)
    assert result["decision"] == "kill"
    assert {t["type"] for t in result["targets"]} == {cfn_type}
    assert {t["region"] for t in result["targets"]} == {region}
    assert {t["account"] for t in result["targets"]} == {"123456789012"}
    assert all(t["decision"] == "kill" and t["id"] for t in result["targets"])
    if ids:
        assert [t["id"] for t in result["targets"]] == ids


def test_ids_are_what_the_delete_call_takes():
    def only_id(name):
        [target] = reaper.explain(load_event(name), EU)["targets"]
        return target["id"]

    assert only_id("cloudformation.CreateStack").startswith("arn:aws:cloudformation:us-west-2:")
    assert only_id("ec2.CreateVolume").startswith("vol-")
    stack = load_event("cloudformation.CreateStack")["detail"]["responseElements"]["stackId"]
    assert only_id("cloudformation.CreateStack") == stack


def test_the_same_event_in_the_eu_is_spared():
    event = load_event("dynamodb.CreateTable")
    event["detail"]["awsRegion"] = "eu-central-1"
    result = reaper.explain(event, EU)
    assert result["decision"] == "spare"
    assert result["targets"][0]["reason"] == "region eu-central-1 is allowed"


def test_legacy_eu_constraint_is_ireland():
    event = load_event("s3.CreateBucket")
    event["detail"]["requestParameters"]["CreateBucketConfiguration"]["LocationConstraint"] = "EU"
    [target] = reaper.explain(event, EU)["targets"]
    assert (target["region"], target["decision"]) == ("eu-west-1", "spare")


@pytest.mark.parametrize("name, reason", [
    ("ec2.RunInstances.failed", "failed with Client.UnauthorizedOperation"),
    ("ec2.DescribeInstances.readonly", "read-only"),
])
def test_failed_and_read_only_calls_are_ignored(name, reason):
    result = reaper.explain(load_event(name), EU)
    assert result["decision"] == "ignore" and reason in result["reason"]
    assert result["targets"] == []


def test_a_create_table_from_another_service_is_not_dynamodb():
    # Glue's CreateTable is no DynamoDB table: no target. Outside the allowed regions
    # and claimed by no type, it is an uncovered create, reported (issue 10).
    event = load_event("dynamodb.CreateTable")
    event["source"] = "aws.glue"
    event["detail"]["eventSource"] = "glue.amazonaws.com"
    result = reaper.explain(event, EU)
    assert result["decision"] == "report" and result["targets"] == []
    assert "glue.amazonaws.com:CreateTable" in result["reason"]
    event["detail"]["awsRegion"] = "eu-west-1"
    assert reaper.explain(event, EU)["decision"] == "ignore"


def test_a_non_aws_source_is_ignored():
    event = load_event("ec2.RunInstances")
    event["source"] = "custom.attacker"
    assert reaper.explain(event, EU)["decision"] == "ignore"


def test_an_event_without_ids_is_ignored_with_the_reason():
    event = load_event("ec2.RunInstances")
    event["detail"]["responseElements"] = None
    result = reaper.explain(event, EU)
    assert result["decision"] == "ignore"
    assert "no identifier" in result["reason"]


def test_an_unknown_region_in_the_event_is_never_a_kill():
    event = load_event("dynamodb.CreateTable")
    event["detail"]["awsRegion"] = "mars-north-1"
    assert reaper.explain(event, EU)["decision"] == "ignore"


def test_cli_prints_the_contract(capsys):
    assert cli.main(["explain", str(EVENTS / "ec2.RunInstances.json")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"decision", "reason", "targets"}
    assert set(result["targets"][0]) == {"type", "id", "region", "account", "decision",
                                         "reason"}


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not JSON"),
    ("", "is not JSON"),
    ('"just a string"', "not a JSON object"),
    ('{"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2"}', "no detail"),
    ('{"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2", "detail": '
     '{"eventSource": 5, "eventName": "RunInstances"}}', "not a string"),
])
def test_cli_unreadable_input_is_exit_2_with_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "event.json"
    path.write_text(content)
    assert cli.main(["explain", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and message in captured.err


def test_cli_missing_file_is_exit_2(tmp_path, capsys):
    assert cli.main(["explain", str(tmp_path / "nope.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_cli_bad_settings_are_exit_2(monkeypatch, capsys):
    monkeypatch.setenv("MONOCYTE_ALLOWED_REGIONS", "eu-west-1,eu-mars-1")
    assert cli.main(["explain", str(EVENTS / "ec2.RunInstances.json")]) == 2
    assert "eu-mars-1" in capsys.readouterr().err
