"""DynamoDB global-table replicas with botocore's Stubber (moto 5 ignores UpdateTable's
ReplicaUpdates): the real response shapes, the event path and a scan unit. The EU
and non-EU pairings are in tests/test_cross_region_replicas.py."""
from __future__ import annotations

import datetime

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib import iam, reaper, registry, scan
from chalicelib.config import Settings
from conftest import RegionClients, load_event

TYPE = "AWS::DynamoDB::GlobalTable"
NAME = "monocyte-probe-orders"
EU, US = "eu-central-1", "us-east-1"  # the sample: a Frankfurt table, a Virginia replica
ACCOUNT = "123456789012"
WHEN = datetime.datetime(2026, 11, 29, 11, 20, 45, tzinfo=datetime.timezone.utc)


def _table(region, others, status="ACTIVE", protected=False, other_status="ACTIVE"):
    return {"Table": {
        "TableName": NAME, "TableStatus": status, "CreationDateTime": WHEN,
        "TableArn": f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{NAME}",
        "TableId": "3c5e7a9b-1d2f-4c4e-a6b8-0d2f4a6c8e0b",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
        "GlobalTableVersion": "2019.11.21", "DeletionProtectionEnabled": protected,
        "Replicas": [{"RegionName": r, "ReplicaStatus": other_status} for r in others]}}


def _reap(clients, settings=None, event=None):
    return reaper.reap(event or load_event("dynamodb.UpdateTable"),
                       settings or Settings(dry_run=False), clients)


@pytest.fixture
def stubs():
    us, eu = boto3.client("dynamodb", US), boto3.client("dynamodb", EU)
    with Stubber(us) as us_stub, Stubber(eu) as eu_stub:
        yield us_stub, eu_stub, RegionClients(us_east_1=us, eu_central_1=eu)
        us_stub.assert_no_pending_responses()
        eu_stub.assert_no_pending_responses()


def test_the_replica_is_removed_through_another_region_of_its_table(stubs):
    us_stub, eu_stub, clients = stubs
    us_stub.add_response("describe_table", _table(US, [EU]), {"TableName": NAME})
    eu_stub.add_response("update_table", {"TableDescription": {"TableName": NAME}},
                         {"TableName": NAME, "ReplicaUpdates": [{"Delete": {"RegionName": US}}]})
    [outcome] = _reap(clients)
    assert (outcome.action, outcome.id, outcome.region) == (reaper.KILLED, NAME, US)
    assert outcome.created == "2026-11-29T11:20:45Z"


def test_the_eu_twin_is_spared_without_a_call(stubs):
    event = load_event("dynamodb.UpdateTable")
    event["detail"]["requestParameters"]["replicaUpdates"] = [
        {"create": {"regionName": "eu-west-1"}}]
    [outcome] = _reap(stubs[2], event=event)  # no response queued: any call would fail
    assert (outcome.action, outcome.region) == (reaper.SPARED, "eu-west-1")


def test_an_update_table_that_adds_no_replica_names_nothing(stubs):
    event = load_event("dynamodb.UpdateTable")
    event["detail"]["requestParameters"] = {"tableName": NAME, "billingMode": "PROVISIONED"}
    assert _reap(stubs[2], event=event) == []


def test_every_replica_of_one_call_is_a_target():
    event = load_event("dynamodb.UpdateTable")
    event["detail"]["requestParameters"]["replicaUpdates"] = [
        {"create": {"regionName": "us-west-2"}}, {"update": {"regionName": "eu-west-1"}},
        {"create": {"regionName": "eu-north-1"}}]
    explained = reaper.explain(event, Settings())
    assert [(t["region"], t["decision"]) for t in explained["targets"]] == [
        ("us-west-2", "kill"), ("eu-north-1", "spare")]


def test_a_table_arn_names_the_table():
    event = load_event("dynamodb.UpdateTable")
    event["detail"]["requestParameters"]["tableName"] = (
        f"arn:aws:dynamodb:{EU}:{ACCOUNT}:table/{NAME}")
    assert [t["id"] for t in reaper.explain(event, Settings())["targets"]] == [NAME]


def test_a_replica_still_being_created_is_deferred(stubs):
    us_stub, _, clients = stubs
    us_stub.add_response("describe_table", _table(US, [EU], status="CREATING"),
                         {"TableName": NAME})
    [outcome] = _reap(clients)
    assert outcome.action == reaper.DEFERRED and "CREATING" in outcome.reason


def test_a_busy_table_to_go_through_defers_the_kill(stubs):
    us_stub, eu_stub, clients = stubs
    us_stub.add_response("describe_table", _table(US, [EU]), {"TableName": NAME})
    eu_stub.add_client_error("update_table", "ResourceInUseException", http_status_code=400)
    [outcome] = _reap(clients)
    assert outcome.action == reaper.DEFERRED


def test_a_replica_already_deleted_is_gone(stubs):
    us_stub, _, clients = stubs
    us_stub.add_client_error("describe_table", "ResourceNotFoundException",
                             http_status_code=400, expected_params={"TableName": NAME})
    [outcome] = _reap(clients)
    assert outcome.action == reaper.GONE


def test_a_protected_replica_is_unprotected_and_deleted_in_its_own_region(stubs):
    us_stub, _, clients = stubs
    us_stub.add_response("describe_table", _table(US, [EU], protected=True),
                         {"TableName": NAME})
    us_stub.add_response("update_table", {"TableDescription": {"TableName": NAME}},
                         {"TableName": NAME, "DeletionProtectionEnabled": False})
    us_stub.add_response("delete_table", {"TableDescription": {"TableName": NAME}},
                         {"TableName": NAME})
    [outcome] = _reap(clients)
    assert outcome.action == reaper.KILLED
    assert outcome.notes == ["deletion protection disabled", f"deleted in {US}"]


def test_without_force_a_protected_replica_is_spared(stubs):
    us_stub, _, clients = stubs
    us_stub.add_response("describe_table", _table(US, [EU], protected=True),
                         {"TableName": NAME})
    [outcome] = _reap(clients, Settings(dry_run=False, force=False))
    assert outcome.action == reaper.SPARED and "MONOCYTE_FORCE is off" in outcome.reason


def test_a_table_whose_other_replicas_are_leaving_is_deleted_where_it_is(stubs):
    us_stub, _, clients = stubs
    us_stub.add_response("describe_table", _table(US, [EU], other_status="DELETING"),
                         {"TableName": NAME})
    us_stub.add_response("delete_table", {"TableDescription": {"TableName": NAME}},
                         {"TableName": NAME})
    [outcome] = _reap(clients)
    assert outcome.notes == [f"deleted in {US}"]


def test_dry_run_reports_would_kill_without_a_delete(stubs):
    us_stub, _, clients = stubs
    us_stub.add_response("describe_table", _table(US, [EU]), {"TableName": NAME})
    [outcome] = _reap(clients, Settings(dry_run=True))
    assert outcome.action == reaper.WOULD_KILL


@pytest.mark.parametrize("protected", [False, True])
def test_every_call_a_kill_makes_is_declared(stubs, protected):
    us_stub, eu_stub, clients = stubs
    made = []
    for stub in (us_stub, eu_stub):
        stub.client.meta.events.register(
            "before-parameter-build.*.*", lambda model, **kwargs: made.append(model.name))
    us_stub.add_response("describe_table", _table(US, [EU], protected=protected))
    if protected:
        us_stub.add_response("update_table", {"TableDescription": {"TableName": NAME}})
        us_stub.add_response("delete_table", {"TableDescription": {"TableName": NAME}})
    else:
        eu_stub.add_response("update_table", {"TableDescription": {"TableName": NAME}})
    [outcome] = _reap(clients)
    assert outcome.action == reaper.KILLED and made
    declared = set(registry.get(TYPE).actions)
    for operation in made:
        assert set(iam.actions_of("dynamodb", operation)) <= declared, operation
    # Removing a replica through UpdateTable also needs DeleteTableReplica there.
    assert "dynamodb:DeleteTableReplica" in declared


def test_the_scan_leaves_replicas_to_the_table_type():
    # ListTables shows a replica like any table: AWS::DynamoDB::Table takes it, and
    # this type has no listing of its own (no unit, no call).
    assert registry.get(TYPE).listing is None
    assert TYPE not in {t.cfn_type for t in registry.listed_types()}
