"""Lightsail instances with botocore's Stubber (moto has no Lightsail): the real
response shapes, the event path and a scan unit."""
from __future__ import annotations

import datetime

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib import reaper, scan
from chalicelib.config import Settings
from conftest import OneClient, load_event

TYPE = "AWS::Lightsail::Instance"
WHEN = datetime.datetime(2026, 11, 29, 11, 52, 30, tzinfo=datetime.timezone.utc)


def _instance(name: str, region: str, state: str = "running") -> dict:
    return {"name": name, "arn": f"arn:aws:lightsail:{region}:123456789012:Instance/{name}",
            "createdAt": WHEN, "location": {"availabilityZone": f"{region}a", "regionName": region},
            "resourceType": "Instance", "blueprintId": "ubuntu_24_04", "bundleId": "small_3_0",
            "state": {"code": 16, "name": state}}


def _deleted(name: str, region: str) -> dict:
    return {"operations": [{
        "id": "4c5d6e7f-8a9b-4c0d-9e1f-3a4b5c6d7e8f", "resourceName": name,
        "resourceType": "Instance", "createdAt": WHEN,
        "location": {"availabilityZone": f"{region}a", "regionName": region},
        "isTerminal": False, "operationType": "DeleteInstance", "status": "Started"}]}


def _expect_kill(stub, name: str, region: str) -> None:
    stub.add_response("get_instance", {"instance": _instance(name, region)},
                      {"instanceName": name})
    stub.add_response("delete_instance", _deleted(name, region),
                      {"instanceName": name, "forceDeleteAddOns": True})


def test_every_instance_of_a_create_instances_call_is_killed():
    lightsail = boto3.client("lightsail", "us-east-1")
    with Stubber(lightsail) as stub:
        for name in ("shop-web-1", "shop-web-2"):
            _expect_kill(stub, name, "us-east-1")
        outcomes = reaper.reap(load_event("lightsail.CreateInstances"),
                               Settings(dry_run=False), OneClient(lightsail))
        stub.assert_no_pending_responses()
    assert [(o.action, o.id, o.region) for o in outcomes] == [
        (reaper.KILLED, "shop-web-1", "us-east-1"), (reaper.KILLED, "shop-web-2", "us-east-1")]


def test_instances_from_a_snapshot_are_killed_too():
    lightsail = boto3.client("lightsail", "ap-northeast-1")
    with Stubber(lightsail) as stub:
        _expect_kill(stub, "shop-web-tokyo", "ap-northeast-1")
        [outcome] = reaper.reap(load_event("lightsail.CreateInstancesFromSnapshot"),
                                Settings(dry_run=False), OneClient(lightsail))
        stub.assert_no_pending_responses()
    assert (outcome.action, outcome.region) == (reaper.KILLED, "ap-northeast-1")


def test_the_eu_twin_is_spared_without_a_call():
    event = load_event("lightsail.CreateInstances")
    event["detail"]["awsRegion"] = "eu-central-1"
    lightsail = boto3.client("lightsail", "eu-central-1")
    with Stubber(lightsail):  # no response queued: any call would fail the test
        outcomes = reaper.reap(event, Settings(dry_run=False), OneClient(lightsail))
    assert [o.action for o in outcomes] == [reaper.SPARED, reaper.SPARED]


def test_an_instance_already_deleted_is_gone():
    lightsail = boto3.client("lightsail", "us-east-1")
    with Stubber(lightsail) as stub:
        for name in ("shop-web-1", "shop-web-2"):
            stub.add_client_error("get_instance", "NotFoundException", http_status_code=400,
                                  expected_params={"instanceName": name})
        outcomes = reaper.reap(load_event("lightsail.CreateInstances"),
                               Settings(dry_run=False), OneClient(lightsail))
    assert [o.action for o in outcomes] == [reaper.GONE, reaper.GONE]


def test_an_instance_lightsail_will_not_delete_yet_is_deferred():
    lightsail = boto3.client("lightsail", "us-east-1")
    with Stubber(lightsail) as stub:
        for name in ("shop-web-1", "shop-web-2"):
            stub.add_response("get_instance", {"instance": _instance(name, "us-east-1", "pending")},
                              {"instanceName": name})
            stub.add_client_error("delete_instance", "OperationFailureException",
                                  http_status_code=400)
        outcomes = reaper.reap(load_event("lightsail.CreateInstances"),
                               Settings(dry_run=False), OneClient(lightsail))
    assert [o.action for o in outcomes] == [reaper.DEFERRED, reaper.DEFERRED]


@pytest.mark.parametrize("kill", [True, False])
def test_a_scan_unit_lists_and_kills_or_reports(kill):
    lightsail = boto3.client("lightsail", "us-west-2")
    settings = Settings(dry_run=not kill)
    with Stubber(lightsail) as stub:
        stub.add_response("get_instances", {"instances": [_instance("forgotten", "us-west-2")]},
                          {})
        stub.add_response("get_instance", {"instance": _instance("forgotten", "us-west-2")},
                          {"instanceName": "forgotten"})
        if kill:
            stub.add_response("delete_instance", _deleted("forgotten", "us-west-2"),
                              {"instanceName": "forgotten", "forceDeleteAddOns": True})
        report = scan.run_units([scan.Unit("123456789012", "us-west-2", TYPE)], {"us-west-2"},
                                settings, OneClient(lightsail), scan.Report())
        stub.assert_no_pending_responses()
    [outcome] = report.outcomes
    assert report.ok and report.list_calls == 1
    assert (outcome.id, outcome.region, outcome.created) == (
        "forgotten", "us-west-2", "2026-11-29T11:52:30Z")
    assert outcome.action == (reaper.KILLED if kill else reaper.WOULD_KILL)
