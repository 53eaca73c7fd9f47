"""A resource still being created cannot be deleted yet: the event path queues the
kill again with a delay, tries until it goes or the attempts run out, and leaves the
rest to the nightly scan."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from chalice.test import Client

from app import app
from chalicelib import audit, aws, retry, runtime
from chalicelib.config import Settings
from kinds import KINDS

HOME = "eu-central-1"
create_table, table_exists = KINDS["AWS::DynamoDB::Table"]


def _busy_for(refusals: int):
    """Sessions whose first ``refusals`` DeleteTable calls answer 'still creating',
    as DynamoDB does for a table in CREATING."""
    left = [refusals]

    def session():
        made = boto3.session.Session()

        def busy(model, **kwargs):
            if model.name == "DeleteTable" and left[0] > 0:
                left[0] -= 1
                raise ClientError({"Error": {"Code": "ResourceInUseException",
                                             "Message": "Table is being created"}}, model.name)
        made.events.register("before-call.dynamodb.DeleteTable", busy)
        return made
    return session


@pytest.fixture
def lambda_client(aws, monkeypatch):
    monkeypatch.setenv("MONOCYTE_RETRY_DELAY_SECONDS", "0")
    monkeypatch.setenv("MONOCYTE_RETRY_ATTEMPTS", "2")
    audit.create_table(boto3.client("dynamodb", HOME), "monocyte-verdicts-prod")
    sqs = boto3.client("sqs", HOME)
    sqs.create_queue(QueueName="monocyte-scan-dlq")
    sqs.create_queue(QueueName="monocyte-scan")
    runtime.reset()
    with Client(app, stage_name="prod") as client:
        yield client
    runtime.reset()


def _queued() -> list[str]:
    sqs = boto3.client("sqs", HOME)
    url = sqs.get_queue_url(QueueName="monocyte-scan")["QueueUrl"]
    bodies = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in batch:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def _deliver(lambda_client, bodies):
    event = lambda_client.events.generate_sqs_event(message_bodies=bodies,
                                                    queue_name="monocyte-scan")
    lambda_client.lambda_.invoke("scan_unit", event)


def test_a_deferred_kill_is_queued_and_done_by_a_later_try(lambda_client, trail, monkeypatch):
    monkeypatch.setattr(aws, "new_session", _busy_for(2))
    name = create_table(trail, "us-east-1")
    [outcome] = lambda_client.lambda_.invoke("reap", trail.events[-1]).payload
    assert outcome["action"] == "deferred"
    [first] = _queued()
    assert json.loads(first)["attempt"] == 1
    _deliver(lambda_client, [first])  # still being created: queued again
    [second] = _queued()
    assert json.loads(second)["attempt"] == 2 and table_exists("us-east-1", name)
    _deliver(lambda_client, [second])
    assert not table_exists("us-east-1", name)
    assert _queued() == []


def test_after_the_last_attempt_it_is_left_to_the_nightly_scan(lambda_client, trail,
                                                               monkeypatch, caplog):
    caplog.set_level("INFO", logger="monocyte")
    monkeypatch.setattr(aws, "new_session", _busy_for(10))
    name = create_table(trail, "us-east-1")
    lambda_client.lambda_.invoke("reap", trail.events[-1])
    for _ in range(2):
        _deliver(lambda_client, _queued())
    assert _queued() == []
    assert table_exists("us-east-1", name)
    assert "retry-exhausted" in caplog.text


def test_a_retry_decides_again_and_spares_what_is_now_allowed(aws, trail):
    # The settings changed between tries (the region was allowed since): spared.
    name = create_table(trail, "us-east-1")
    target = retry.Target("AWS::DynamoDB::Table", name, "us-east-1", "123456789012")
    allowed = Settings(dry_run=False, allowed_regions=frozenset({"us-east-1"}))
    from chalicelib.aws import Clients

    outcome = retry.run(retry.message(target, 3), allowed, Clients(allowed))
    assert outcome.action == "spared" and table_exists("us-east-1", name)


@pytest.mark.parametrize("data", [
    {"retry": {"type": "AWS::DynamoDB::Table"}, "attempt": 1},
    {"retry": {"type": "AWS::Nope::Nope", "id": "x", "region": "us-east-1",
               "account": "123456789012"}, "attempt": 1},
    {"retry": "x", "attempt": 1},
    {"retry": {"type": "AWS::DynamoDB::Table", "id": "x", "region": "us-east-1",
               "account": "123456789012", "evil": 1}, "attempt": 1},
])
def test_a_malformed_retry_is_dropped_with_one_line(lambda_client, data, caplog):
    caplog.set_level("INFO", logger="monocyte")
    _deliver(lambda_client, [json.dumps(data)])
    assert "malformed" in caplog.text
