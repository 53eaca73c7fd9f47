"""The Cloud Control contract the generic engine relies on, played by botocore's Stubber
with the shapes of botocore's cloudcontrol model: a delete that succeeds, is still in
progress, fails with the handler's message or finds nothing; throttling; listing pages."""
from __future__ import annotations

import dataclasses
import datetime
import json

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from chalicelib.errors import AwsError, NotReady
from chalicelib.generic import engine

WHEN = datetime.datetime(2026, 12, 3, 5, 0, tzinfo=datetime.timezone.utc)
TOKEN = "5a8a3f0e-5c9d-4f54-9a33-1c9b7a1c2d3e"


@dataclasses.dataclass(frozen=True)
class Row:
    """The table's row as the engine reads it (the generated table has more fields)."""
    type_name: str
    identifier: tuple = ("Name",)
    id_paths: tuple = ()
    parent: str | None = None


LOGS = Row("AWS::Logs::LogGroup", ("LogGroupName",), ("requestParameters.logGroupName",))
ATHENA = Row("AWS::Athena::WorkGroup")


def _client():
    # No retries: the test sees each answer the stub gives.
    return boto3.client("cloudcontrol", "us-east-1",
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def _progress(status: str, **more) -> dict:
    event = {"TypeName": LOGS.type_name, "Identifier": "app-logs", "RequestToken": TOKEN,
             "Operation": "DELETE", "OperationStatus": status, "EventTime": WHEN}
    event.update(more)
    return {"ProgressEvent": event}


def _delete(stub, first: dict, *then: dict) -> tuple[str, str]:
    stub.add_response("delete_resource", first,
                      {"TypeName": LOGS.type_name, "Identifier": "app-logs"})
    for answer in then:
        stub.add_response("get_resource_request_status", answer, {"RequestToken": TOKEN})


def test_a_delete_that_succeeds_after_one_poll_is_killed():
    client = _client()
    with Stubber(client) as stub:
        _delete(stub, _progress("IN_PROGRESS"), _progress("SUCCESS"))
        action, _ = engine.delete(client, LOGS, "app-logs", sleep=lambda s: None)
        stub.assert_no_pending_responses()
    assert action == engine.KILLED


def test_a_delete_still_in_progress_after_the_polls_is_deferred():
    client = _client()
    with Stubber(client) as stub:
        _delete(stub, _progress("PENDING"), *[_progress("IN_PROGRESS")] * 3)
        action, reason = engine.delete(client, LOGS, "app-logs", polls=3,
                                       sleep=lambda s: None)
        stub.assert_no_pending_responses()
    assert action == engine.DEFERRED
    assert TOKEN in reason


def test_the_first_look_comes_soon_and_later_ones_back_off():
    client = _client()
    waits: list[float] = []
    with Stubber(client) as stub:
        _delete(stub, _progress("PENDING"), *[_progress("IN_PROGRESS")] * engine.POLLS)
        action, _ = engine.delete(client, LOGS, "app-logs", sleep=waits.append)
    assert action == engine.DEFERRED
    assert waits[0] < 0.5 and waits == sorted(waits) and max(waits) == engine.POLL_SECONDS
    assert 5 <= sum(waits) <= 15  # watched for seconds, not minutes: a Lambda waits on it


def test_a_failed_delete_is_failed_with_the_handlers_message():
    client = _client()
    message = "Resource handler returned message: \"WorkGroup is not empty\""
    with Stubber(client) as stub:
        _delete(stub, _progress("IN_PROGRESS"),
                _progress("FAILED", ErrorCode="GeneralServiceException",
                          StatusMessage=message))
        action, reason = engine.delete(client, LOGS, "app-logs", sleep=lambda s: None)
    assert action == engine.FAILED
    assert "WorkGroup is not empty" in reason and "GeneralServiceException" in reason


def test_a_delete_the_handler_finds_nothing_to_delete_is_gone():
    client = _client()
    with Stubber(client) as stub:
        _delete(stub, _progress("IN_PROGRESS"), _progress(
            "FAILED", ErrorCode="NotFound",
            StatusMessage="Resource of type 'AWS::Logs::LogGroup' with identifier "
                          "'app-logs' was not found."))
        assert engine.delete(client, LOGS, "app-logs", sleep=lambda s: None)[0] == engine.GONE


def test_a_delete_of_a_missing_resource_is_gone_and_the_live_check_says_none():
    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error("delete_resource", "ResourceNotFoundException",
                              "Resource of type 'AWS::Logs::LogGroup' with identifier "
                              "'app-logs' was not found.", 400)
        stub.add_client_error("get_resource", "ResourceNotFoundException",
                              "Resource of type 'AWS::Logs::LogGroup' with identifier "
                              "'app-logs' was not found.", 400)
        assert engine.delete(client, LOGS, "app-logs")[0] == engine.GONE
        assert engine.live(client, LOGS, "app-logs") is None


def test_the_live_check_returns_the_properties():
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("get_resource", {"TypeName": LOGS.type_name, "ResourceDescription": {
            "Identifier": "app-logs",
            "Properties": json.dumps({"LogGroupName": "app-logs", "RetentionInDays": 7})}},
            {"TypeName": LOGS.type_name, "Identifier": "app-logs"})
        assert engine.live(client, LOGS, "app-logs") == {"LogGroupName": "app-logs",
                                                         "RetentionInDays": 7}


def test_throttling_past_the_retries_is_not_ready_not_a_kill():
    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error("delete_resource", "ThrottlingException", "Rate exceeded", 400)
        with pytest.raises(NotReady):
            engine.delete(client, LOGS, "app-logs")


def test_the_engine_client_retries_adaptively():
    assert engine.CLIENT_CONFIG.retries["mode"] == "adaptive"


def test_listing_follows_pages_and_leaves_out_aws_defaults():
    client = _client()
    page = lambda names, **more: {"TypeName": ATHENA.type_name, "ResourceDescriptions": [
        {"Identifier": n, "Properties": json.dumps({"Name": n})} for n in names], **more}
    with Stubber(client) as stub:
        stub.add_response("list_resources", page(["primary", "etl"], NextToken="t1"),
                          {"TypeName": ATHENA.type_name})
        stub.add_response("list_resources", page(["adhoc"]),
                          {"TypeName": ATHENA.type_name, "NextToken": "t1"})
        found = engine.findings(client, ATHENA,
                                lambda gtype, props: props.get("Name") == "primary")
    assert [identifier for identifier, _ in found] == ["etl", "adhoc"]


def test_a_type_listed_through_its_parent_is_listed_once_per_parent():
    client = _client()
    child = Row("AWS::Glue::Table", ("DatabaseName", "Name"), parent="AWS::Glue::Database")
    with Stubber(client) as stub:
        for db in ("sales", "hr"):
            stub.add_response("list_resources", {"TypeName": child.type_name,
                "ResourceDescriptions": [{"Identifier": f"{db}|t",
                                          "Properties": "{}"}]},
                {"TypeName": child.type_name,
                 "ResourceModel": json.dumps({"DatabaseName": db})})
        found = engine.findings(client, child, lambda g, p: False,
                                [{"DatabaseName": "sales"}, {"DatabaseName": "hr"}])
    assert [i for i, _ in found] == ["sales|t", "hr|t"]


def test_a_scan_reports_a_type_that_cannot_be_listed_and_goes_on():
    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error("list_resources", "UnsupportedActionException",
                              "Resource type AWS::Logs::LogGroup does not support LIST "
                              "action", 400)
        stub.add_response("list_resources", {"TypeName": ATHENA.type_name,
                                             "ResourceDescriptions": []})
        results = dict(engine.scan(client, [LOGS, ATHENA], lambda g, p: False, workers=1))
    assert isinstance(results[LOGS], AwsError) and results[ATHENA] == []


def test_the_identifier_comes_from_the_record_when_it_carries_it():
    detail = {"requestParameters": {"logGroupName": "app-logs"}}
    assert engine.identifier_from(LOGS, detail) == "app-logs"
    assert engine.identifier_from(LOGS, {"requestParameters": {}}) is None
    assert engine.identifier_from(ATHENA, {"requestParameters": {"name": "x"}}) is None
