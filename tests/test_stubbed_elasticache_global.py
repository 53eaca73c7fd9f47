"""ElastiCache global datastores with botocore's Stubber (moto 5 records a secondary's
GlobalReplicationGroupId but has none of the global datastore calls): a secondary
outside the EU is disassociated in its own region, then deleted; the EU primary is
never called; a primary outside waits for its secondaries, or is spared by an EU one."""
from __future__ import annotations

import datetime

import pytest

from chalicelib import iam, reaper, registry
from chalicelib.config import Settings
from chalicelib.events import Target
from conftest import load_event, stubbed_us_and_eu

TYPE = "AWS::ElastiCache::ReplicationGroup"
EU, US, SG = "eu-central-1", "us-east-1", "ap-southeast-1"
ACCOUNT = "123456789012"
GLOBAL = "ldgnf-orders-global"
SECONDARY, PRIMARY = "orders-redis-virginia", "orders-redis-eu"  # the sample's
WHEN = datetime.datetime(2026, 11, 29, 12, 5, 31, tzinfo=datetime.timezone.utc)


def _group(group_id, region, role=None):
    group = {"ReplicationGroupId": group_id, "Description": "orders cache",
             "Status": "available", "MemberClusters": [f"{group_id}-001"],
             "AutomaticFailover": "disabled", "ClusterEnabled": False,
             "CacheNodeType": "cache.r7g.large", "ReplicationGroupCreateTime": WHEN,
             "ARN": f"arn:aws:elasticache:{region}:{ACCOUNT}:replicationgroup:{group_id}"}
    if role:
        group["GlobalReplicationGroupInfo"] = {"GlobalReplicationGroupId": GLOBAL,
                                               "GlobalReplicationGroupMemberRole": role}
    return {"ReplicationGroups": [group]}


def _datastore(*members, status="available"):
    """A DescribeGlobalReplicationGroups answer; members are (id, region, role)."""
    return {"GlobalReplicationGroups": [{
        "GlobalReplicationGroupId": GLOBAL, "Status": status, "Engine": "redis",
        "EngineVersion": "7.1", "CacheNodeType": "cache.r7g.large", "ClusterEnabled": False,
        "ARN": f"arn:aws:elasticache::{ACCOUNT}:globalreplicationgroup:{GLOBAL}",
        "Members": [{"ReplicationGroupId": i, "ReplicationGroupRegion": r, "Role": role,
                     "AutomaticFailover": "disabled", "Status": "associated"}
                    for i, r, role in members]}]}


def _answer():
    return {"GlobalReplicationGroup": {"GlobalReplicationGroupId": GLOBAL,
                                       "Status": "modifying"}}


def _deleted(group_id):
    return {"ReplicationGroup": {"ReplicationGroupId": group_id, "Status": "deleting"}}


@pytest.fixture
def stubs():
    with stubbed_us_and_eu("elasticache") as found:
        yield found


def _reap(clients, settings=None, event=None):
    return reaper.reap(event or load_event("elasticache.CreateReplicationGroup.secondary"),
                       settings or Settings(dry_run=False), clients)


def _scan_target(group_id=PRIMARY):
    return Target(TYPE, group_id, US, ACCOUNT, "scan")


def test_a_us_secondary_is_disassociated_in_its_region_then_deleted(stubs):
    us_stub, clients, eu_calls = stubs
    us_stub.add_response("describe_replication_groups", _group(SECONDARY, US, "SECONDARY"),
                         {"ReplicationGroupId": SECONDARY})
    us_stub.add_response("disassociate_global_replication_group", _answer(),
                         {"GlobalReplicationGroupId": GLOBAL, "ReplicationGroupId": SECONDARY,
                          "ReplicationGroupRegion": US})
    us_stub.add_response("delete_replication_group", _deleted(SECONDARY),
                         {"ReplicationGroupId": SECONDARY, "RetainPrimaryCluster": False})
    [outcome] = _reap(clients)
    assert (outcome.action, outcome.id, outcome.region) == (reaper.KILLED, SECONDARY, US)
    assert outcome.notes == [f"disassociated from global datastore {GLOBAL}",
                             "no final snapshot"]
    assert eu_calls == []  # the EU primary is never called


def test_explain_names_only_the_secondary():
    verdict = reaper.explain(load_event("elasticache.CreateReplicationGroup.secondary"),
                             Settings())
    assert [(t["id"], t["region"], t["decision"]) for t in verdict["targets"]] == [
        (SECONDARY, US, "kill")]
    assert PRIMARY not in str(verdict["targets"]) and GLOBAL not in str(verdict["targets"])


def test_a_secondary_in_the_eu_is_spared_without_a_call(stubs):
    event = load_event("elasticache.CreateReplicationGroup.secondary")
    event["region"] = event["detail"]["awsRegion"] = EU
    [outcome] = _reap(stubs[1], event=event)
    assert (outcome.action, outcome.region) == (reaper.SPARED, EU)
    assert stubs[2] == []


def test_a_delete_refused_while_the_detach_settles_is_deferred(stubs):
    us_stub, clients, _ = stubs
    us_stub.add_response("describe_replication_groups", _group(SECONDARY, US, "SECONDARY"))
    us_stub.add_response("disassociate_global_replication_group", _answer())
    us_stub.add_client_error("delete_replication_group", "InvalidReplicationGroupState",
                             http_status_code=400)
    [outcome] = _reap(clients)
    assert outcome.action == reaper.DEFERRED


def test_a_busy_datastore_defers_the_disassociation(stubs):
    us_stub, clients, _ = stubs
    us_stub.add_response("describe_replication_groups", _group(SECONDARY, US, "SECONDARY"))
    us_stub.add_client_error("disassociate_global_replication_group",
                             "InvalidGlobalReplicationGroupState", http_status_code=400)
    [outcome] = _reap(clients)
    assert outcome.action == reaper.DEFERRED


def test_a_datastore_gone_since_the_live_check_leaves_only_the_delete(stubs):
    us_stub, clients, _ = stubs
    us_stub.add_response("describe_replication_groups", _group(SECONDARY, US, "SECONDARY"))
    us_stub.add_client_error("disassociate_global_replication_group",
                             "GlobalReplicationGroupNotFoundFault", http_status_code=404)
    us_stub.add_response("delete_replication_group", _deleted(SECONDARY))
    [outcome] = _reap(clients)
    assert outcome.action == reaper.KILLED and outcome.notes == ["no final snapshot"]


def test_a_us_primary_with_an_eu_secondary_is_spared(stubs):
    us_stub, clients, eu_calls = stubs
    us_stub.add_response("describe_replication_groups", _group(PRIMARY, US, "PRIMARY"))
    us_stub.add_response("describe_global_replication_groups", _datastore(
        (PRIMARY, US, "PRIMARY"), ("orders-redis-frankfurt", EU, "SECONDARY")),
        {"GlobalReplicationGroupId": GLOBAL, "ShowMemberInfo": True})
    outcome = reaper.handle(_scan_target(), Settings(dry_run=False), clients)
    assert outcome.action == reaper.SPARED and EU in outcome.reason
    assert eu_calls == []


def test_a_us_primary_waits_for_its_secondaries_outside(stubs):
    us_stub, clients, _ = stubs
    us_stub.add_response("describe_replication_groups", _group(PRIMARY, US, "PRIMARY"))
    us_stub.add_response("describe_global_replication_groups", _datastore(
        (PRIMARY, US, "PRIMARY"), ("orders-redis-singapore", SG, "SECONDARY")))
    outcome = reaper.handle(_scan_target(), Settings(dry_run=False), clients)
    assert outcome.action == reaper.DEFERRED and SG in outcome.reason


def test_a_us_primary_alone_loses_its_datastore_then_goes(stubs):
    us_stub, clients, _ = stubs
    us_stub.add_response("describe_replication_groups", _group(PRIMARY, US, "PRIMARY"))
    us_stub.add_response("describe_global_replication_groups", _datastore(
        (PRIMARY, US, "PRIMARY"), status="primary-only"))
    us_stub.add_response("delete_global_replication_group", _answer(),
                         {"GlobalReplicationGroupId": GLOBAL,
                          "RetainPrimaryReplicationGroup": True})
    us_stub.add_response("delete_replication_group", _deleted(PRIMARY))
    outcome = reaper.handle(_scan_target(), Settings(dry_run=False), clients)
    assert outcome.action == reaper.KILLED
    assert outcome.notes[0] == f"global datastore {GLOBAL} deleted (it held only this group)"


def test_a_group_in_no_datastore_is_deleted_without_a_global_call(stubs):
    us_stub, clients, _ = stubs
    us_stub.add_response("describe_replication_groups", _group("orders-redis", US))
    us_stub.add_response("delete_replication_group", _deleted("orders-redis"))
    outcome = reaper.handle(_scan_target("orders-redis"), Settings(dry_run=False), clients)
    assert outcome.action == reaper.KILLED and outcome.notes == ["no final snapshot"]


@pytest.mark.parametrize("role", ["SECONDARY", "PRIMARY"])
def test_every_call_a_kill_makes_is_declared_and_guarded_in_the_eu(stubs, role):
    us_stub, clients, _ = stubs
    made = []
    us_stub.client.meta.events.register(
        "before-parameter-build.*.*", lambda model, **kwargs: made.append(model.name))
    us_stub.add_response("describe_replication_groups", _group(PRIMARY, US, role))
    if role == "SECONDARY":
        us_stub.add_response("disassociate_global_replication_group", _answer())
    else:
        us_stub.add_response("describe_global_replication_groups",
                             _datastore((PRIMARY, US, "PRIMARY")))
        us_stub.add_response("delete_global_replication_group", _answer())
    us_stub.add_response("delete_replication_group", _deleted(PRIMARY))
    assert reaper.handle(_scan_target(), Settings(dry_run=False), clients).action == \
        reaper.KILLED
    declared = set(registry.get(TYPE).actions)
    for operation in made:
        assert set(iam.actions_of("elasticache", operation)) <= declared, operation
    for action in ("elasticache:DisassociateGlobalReplicationGroup",
                   "elasticache:DeleteGlobalReplicationGroup"):
        assert iam.region_guarded(action), action
