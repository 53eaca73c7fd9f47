"""Replicas of DynamoDB global tables version 2017.11.29 (legacy) with botocore's
Stubber (moto 5 has no CreateGlobalTable/UpdateGlobalTable): the real response
shapes, the event path, and no call ever made in an EU member's region."""
from __future__ import annotations

import datetime

import pytest

from chalicelib import iam, reaper, registry
from chalicelib.config import Settings
from conftest import load_event, stubbed_us_and_eu

TYPE = "AWS::DynamoDB::LegacyGlobalTable"
NAME = "monocyte-probe-legacy-orders"
EU, US, SG = "eu-central-1", "us-east-1", "ap-southeast-1"
ACCOUNT = "123456789012"
WHEN = datetime.datetime(2026, 11, 29, 11, 32, 10, tzinfo=datetime.timezone.utc)


def _table(region, protected=False, status="ACTIVE"):
    return {"Table": {
        "TableName": NAME, "TableStatus": status, "CreationDateTime": WHEN,
        "TableArn": f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{NAME}",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "DeletionProtectionEnabled": protected}}


def _global(regions, status="ACTIVE"):
    return {"GlobalTableDescription": {
        "ReplicationGroup": [{"RegionName": r} for r in regions],
        "GlobalTableArn": f"arn:aws:dynamodb::{ACCOUNT}:global-table/{NAME}",
        "CreationDateTime": WHEN, "GlobalTableStatus": status, "GlobalTableName": NAME}}


@pytest.fixture
def stubs():
    with stubbed_us_and_eu("dynamodb") as found:
        yield found


def _reap(clients, settings=None, event=None):
    return reaper.reap(event or load_event("dynamodb.CreateGlobalTable"),
                       settings or Settings(dry_run=False), clients)


def _targets(event):
    return [(t["id"], t["region"], t["decision"])
            for t in reaper.explain(event, Settings())["targets"]]


def _create_event(*regions):
    event = load_event("dynamodb.CreateGlobalTable")
    event["detail"]["requestParameters"]["replicationGroup"] = [
        {"regionName": r} for r in regions]
    return event


def test_the_us_member_leaves_the_group_and_is_deleted_in_its_own_region(stubs):
    us_stub, clients, eu_calls = stubs
    us_stub.add_response("describe_table", _table(US), {"TableName": NAME})
    us_stub.add_response("describe_global_table", _global([EU, US]), {"GlobalTableName": NAME})
    us_stub.add_response("update_global_table", _global([EU], status="UPDATING"),
                         {"GlobalTableName": NAME,
                          "ReplicaUpdates": [{"Delete": {"RegionName": US}}]})
    us_stub.add_response("delete_table", {"TableDescription": {"TableName": NAME}},
                         {"TableName": NAME})
    outcomes = _reap(clients)
    assert [(o.action, o.region) for o in outcomes] == [
        (reaper.SPARED, EU), (reaper.KILLED, US)]
    assert outcomes[1].notes == [f"{US} removed from the global table", f"deleted in {US}"]
    assert eu_calls == []  # the EU member is never called, let alone written to


def test_create_global_table_judges_every_member_by_where_it_is():
    assert _targets(load_event("dynamodb.CreateGlobalTable")) == [
        (NAME, EU, "spare"), (NAME, US, "kill")]
    # Every member in the EU: nothing to kill.
    assert [d for _, _, d in _targets(_create_event(EU, "eu-west-1"))] == ["spare", "spare"]
    # No member in the EU: each judged by where it is.
    assert _targets(_create_event(US, SG)) == [(NAME, US, "kill"), (NAME, SG, "kill")]


def test_update_global_table_names_only_the_regions_it_adds():
    event = load_event("dynamodb.UpdateGlobalTable")
    assert _targets(event) == [(NAME, SG, "kill")]
    # The members already there (the EU one among them) are never targets.
    assert EU not in str(reaper.explain(event, Settings())["targets"])


def test_an_update_global_table_that_only_removes_a_region_names_nothing():
    event = load_event("dynamodb.UpdateGlobalTable")
    event["detail"]["requestParameters"]["replicaUpdates"] = [{"delete": {"regionName": US}}]
    assert reaper.explain(event, Settings())["targets"] == []


def test_a_busy_global_table_defers_the_kill(stubs):
    us_stub, clients, _ = stubs
    us_stub.add_response("describe_table", _table(US))
    us_stub.add_response("describe_global_table", _global([EU, US], status="CREATING"))
    outcomes = _reap(clients)
    assert outcomes[1].action == reaper.DEFERRED and "CREATING" in outcomes[1].reason


def test_a_table_no_longer_in_a_global_table_is_deleted_at_once(stubs):
    us_stub, clients, _ = stubs
    us_stub.add_response("describe_table", _table(US))
    us_stub.add_client_error("describe_global_table", "GlobalTableNotFoundException",
                             http_status_code=400)
    us_stub.add_response("delete_table", {"TableDescription": {"TableName": NAME}})
    assert _reap(clients)[1].notes == [f"deleted in {US}"]


def test_a_region_that_left_the_group_since_the_live_check_is_still_deleted(stubs):
    us_stub, clients, _ = stubs
    us_stub.add_response("describe_table", _table(US))
    us_stub.add_response("describe_global_table", _global([EU, US]))
    us_stub.add_client_error("update_global_table", "ReplicaNotFoundException",
                             http_status_code=400)
    us_stub.add_response("delete_table", {"TableDescription": {"TableName": NAME}})
    outcome = _reap(clients)[1]
    assert outcome.action == reaper.KILLED and outcome.notes == [f"deleted in {US}"]


def test_a_delete_refused_while_the_removal_settles_is_deferred(stubs):
    us_stub, clients, _ = stubs
    us_stub.add_response("describe_table", _table(US))
    us_stub.add_response("describe_global_table", _global([EU, US]))
    us_stub.add_response("update_global_table", _global([EU], status="UPDATING"))
    us_stub.add_client_error("delete_table", "ResourceInUseException", http_status_code=400)
    assert _reap(clients)[1].action == reaper.DEFERRED


def test_a_member_already_deleted_is_gone(stubs):
    us_stub, clients, _ = stubs
    us_stub.add_client_error("describe_table", "ResourceNotFoundException",
                             http_status_code=400)
    assert _reap(clients)[1].action == reaper.GONE


def test_without_force_a_protected_member_is_spared(stubs):
    us_stub, clients, _ = stubs
    us_stub.add_response("describe_table", _table(US, protected=True))
    us_stub.add_response("describe_global_table", _global([EU, US]))
    outcome = _reap(clients, Settings(dry_run=False, force=False))[1]
    assert outcome.action == reaper.SPARED and "MONOCYTE_FORCE is off" in outcome.reason


@pytest.mark.parametrize("protected", [False, True])
def test_every_call_a_kill_makes_is_declared_and_guarded_in_the_eu(stubs, protected):
    us_stub, clients, eu_calls = stubs
    made = []
    us_stub.client.meta.events.register(
        "before-parameter-build.*.*", lambda model, **kwargs: made.append(model.name))
    us_stub.add_response("describe_table", _table(US, protected=protected))
    us_stub.add_response("describe_global_table", _global([EU, US]))
    us_stub.add_response("update_global_table", _global([EU], status="UPDATING"))
    if protected:
        us_stub.add_response("update_table", {"TableDescription": {"TableName": NAME}},
                             {"TableName": NAME, "DeletionProtectionEnabled": False})
    us_stub.add_response("delete_table", {"TableDescription": {"TableName": NAME}})
    assert _reap(clients)[1].action == reaper.KILLED
    declared = set(registry.get(TYPE).actions)
    for operation in made:
        assert set(iam.actions_of("dynamodb", operation)) <= declared, operation
    # The legacy removal is denied in every allowed region: it is only ever sent to
    # the replica's own region.
    assert iam.region_guarded("dynamodb:UpdateGlobalTable")
    assert eu_calls == []


def test_the_scan_leaves_members_to_the_table_type():
    assert registry.get(TYPE).listing is None
