"""The `reap` Lambda handler, driven the way Lambda drives it (Chalice's test client)."""
from __future__ import annotations

import json
import pathlib

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib import audit, registry, runtime
from chalicelib.errors import ConfigError
from conftest import load_event
from kinds import KINDS

CONFIG = pathlib.Path(__file__).parent.parent / ".chalice" / "config.json"


@pytest.fixture
def lambda_client(aws):
    # Stage prod kills (its config sets MONOCYTE_DRY_RUN=false); dev only reports.
    # Its verdict table also holds the breaker's counts: without it nothing is killed.
    runtime.reset()
    stage = json.loads(CONFIG.read_text())["stages"]["prod"]["environment_variables"]
    audit.create_table(boto3.client("dynamodb", "eu-central-1"), stage["MONOCYTE_AUDIT_TABLE"])
    with Client(app, stage_name="prod") as client:
        yield client
    runtime.reset()


def test_reap_subscribes_to_the_deploy_time_pattern():
    # Not the registered calls any more (issue 10): every create-style call outside
    # the allowed regions of .chalice/config.json, and the cross-region calls
    # (tests/test_pattern.py judges it with moto's matcher).
    from chalicelib import config, pattern

    [handler] = [h for h in app.event_sources if h.name == "reap"]
    allowed = json.loads(CONFIG.read_text())["environment_variables"][
        "MONOCYTE_ALLOWED_REGIONS"]
    assert handler.event_pattern == pattern.build(config.parse_regions(allowed))
    assert handler.event_pattern == registry.event_pattern()
    assert pattern.size(handler.event_pattern) <= pattern.EVENT_PATTERN_MAX_CHARS


def test_reap_kills_through_the_handler(aws, trail, lambda_client):
    create, exists = KINDS["AWS::EC2::Instance"]
    instance = create(trail, "us-east-1")
    response = lambda_client.lambda_.invoke("reap", trail.events[-1])
    assert [o["action"] for o in response.payload] == ["killed"]
    assert not exists("us-east-1", instance)


MALFORMED = [
    {},
    {"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2"},
    {"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2", "detail": None},
    {"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2", "detail": []},
    {"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2",
     "detail": {"eventSource": None, "eventName": None}},
    {"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2",
     "detail": {"eventSource": "ec2.amazonaws.com", "eventName": ["RunInstances"]}},
    {"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2",
     "detail": {"eventSource": "ec2.amazonaws.com", "eventName": "RunInstances",
                "awsRegion": 42, "responseElements": "x"}},
    {"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2", "account": None,
     "detail": {"eventSource": "ec2.amazonaws.com", "eventName": "RunInstances",
                "awsRegion": "us-east-1", "responseElements": {"instancesSet": 7}}},
    {"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2",
     "detail": {"eventSource": "ec2.amazonaws.com", "eventName": "LaunchRockets"}},
    {"detail-type": "Object Created", "source": "aws.s3", "detail": {"bucket": {}}},
    [],
    "RunInstances",
    None,
]


@pytest.mark.parametrize("event", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_events_give_one_log_line_and_no_exception(event, aws, lambda_client,
                                                              caplog):
    with caplog.at_level("INFO", logger="monocyte"):
        response = lambda_client.lambda_.invoke("reap", event)
    assert response.payload == []
    lines = [json.loads(r.getMessage()) for r in caplog.records
             if json.loads(r.getMessage())["log"] != "settings"]
    assert len(lines) == 1
    assert lines[0]["log"] in {"malformed", "ignored", "unplaced"}


def test_the_dev_stage_only_reports(aws, trail):
    create, exists = KINDS["AWS::EC2::Instance"]
    instance = create(trail, "us-east-1")
    runtime.reset()
    with Client(app, stage_name="dev") as client:
        response = client.lambda_.invoke("reap", trail.events[-1])
    runtime.reset()
    assert [o["action"] for o in response.payload] == ["would-kill"]
    assert exists("us-east-1", instance)


def test_a_recorded_event_for_a_resource_that_does_not_exist_is_gone(aws, lambda_client):
    response = lambda_client.lambda_.invoke("reap", load_event("dynamodb.CreateTable"))
    assert [o["action"] for o in response.payload] == ["gone"]


def test_bad_settings_stop_the_handler_with_one_clear_line(aws, monkeypatch, caplog):
    monkeypatch.setenv("MONOCYTE_ALLOWED_REGIONS", "eu-west-1,atlantis-1")
    runtime.reset()
    from app import reap  # the handler object Lambda calls

    with caplog.at_level("INFO", logger="monocyte"):
        with pytest.raises(ConfigError, match="atlantis-1"):
            reap(load_event("dynamodb.CreateTable"), None)
    runtime.reset()
    [line] = [json.loads(r.getMessage()) for r in caplog.records]
    assert line["log"] == "config-error" and "atlantis-1" in line["reason"]


def test_nightly_scan_runs_at_two_utc_by_default():
    [handler] = [h for h in app.event_sources if h.name == "nightly_scan"]
    assert handler.schedule_expression == "cron(0 2 * * ? *)"


def test_nightly_scan_fans_out_and_scan_unit_kills(aws, trail, lambda_client, moto_types):
    import boto3

    sqs = boto3.client("sqs", "eu-central-1")
    sqs.create_queue(QueueName="monocyte-scan-dlq")
    url = sqs.create_queue(QueueName="monocyte-scan")["QueueUrl"]
    create, exists = KINDS["AWS::DynamoDB::Table"]
    outside, inside = create(trail, "us-east-1"), create(trail, "eu-central-1")
    scheduled = lambda_client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={},
        resources=["arn:aws:events:eu-central-1:123456789012:rule/nightly"])
    queued = lambda_client.lambda_.invoke("nightly_scan", scheduled).payload
    bodies = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        bodies += [m["Body"] for m in batch]
    assert len(bodies) == queued["queued"]
    units = [b for b in bodies if '"us-east-1"' in b or '"(account)"' in b]
    assert len(units) == 2  # us-east-1, and the account's per-account unit
    message = lambda_client.events.generate_sqs_event(message_bodies=units,
                                                      queue_name="monocyte-scan")
    lambda_client.lambda_.invoke("scan_unit", message)
    assert not exists("us-east-1", outside)
    assert exists("eu-central-1", inside)
