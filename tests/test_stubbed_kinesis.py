"""A Kinesis stream still CREATING, which moto never shows (its streams are ACTIVE at
once): botocore's Stubber plays Kinesis with the real response shapes."""
from __future__ import annotations

import boto3
from botocore.stub import Stubber

from chalicelib import reaper
from chalicelib.config import Settings
from chalicelib.events import Target
from conftest import OneClient

NAME = "clickstream"


def _summary(status: str) -> dict:
    return {"StreamDescriptionSummary": {
        "StreamName": NAME, "StreamARN": f"arn:aws:kinesis:us-east-1:123456789012:stream/{NAME}",
        "StreamStatus": status, "RetentionPeriodHours": 24,
        "StreamCreationTimestamp": "2026-11-29T11:22:15Z", "EnhancedMonitoring": [],
        "OpenShardCount": 1}}


def test_a_stream_still_creating_is_deferred_for_a_later_run():
    kinesis = boto3.client("kinesis", "us-east-1")
    target = Target("AWS::Kinesis::Stream", NAME, "us-east-1", "123456789012",
                    "kinesis:CreateStream")
    with Stubber(kinesis) as stub:
        stub.add_response("describe_stream_summary", _summary("CREATING"), {"StreamName": NAME})
        stub.add_client_error("delete_stream", "ResourceInUseException",
                              f"Stream {NAME} under account 123456789012 not ACTIVE.",
                              expected_params={"StreamName": NAME,
                                               "EnforceConsumerDeletion": True})
        outcome = reaper.handle(target, Settings(dry_run=False), OneClient(kinesis))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.DEFERRED
    assert "ResourceInUseException" in outcome.reason
