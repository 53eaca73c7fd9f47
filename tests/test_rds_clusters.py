"""RDS DB clusters and cluster snapshots beyond the per-type scenarios of
test_reap: protection, member instances, global databases, cross-region copies,
and a cluster still creating."""
from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib import reaper
from chalicelib.config import Settings
from conftest import OneClient
from kinds import KINDS
from kinds.rds_clusters import ENGINE, flatten

OUTSIDE, INSIDE = "us-east-1", "eu-central-1"
CLUSTER = "AWS::RDS::DBCluster"


def _reap_last(trail, settings, clients):
    return reaper.reap(trail.events[-1], settings, clients)


def _cluster(name, **more):
    return dict(DBClusterIdentifier=name, Engine=ENGINE, MasterUsername="admin",
                MasterUserPassword="secret-password", **more)


def test_a_protected_cluster_is_unprotected_then_deleted_with_its_members(
        aws, trail, kill_settings, clients):
    create, exists = KINDS[CLUSTER]
    name = create(trail, OUTSIDE, protect=True)
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert outcome.action == reaper.KILLED
    assert outcome.notes == ["deletion protection disabled", "deleted 1 member DB instances first",
                             "no final snapshot"]
    assert not exists(OUTSIDE, name)
    rds = boto3.client("rds", OUTSIDE)
    assert rds.describe_db_instances()["DBInstances"] == []
    # No final snapshot. (moto keeps the automated one that DeleteAutomatedBackups
    # removes in AWS.)
    assert rds.describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"] == []


def test_without_force_a_protected_cluster_is_spared_and_reported(aws, trail, clients):
    create, exists = KINDS[CLUSTER]
    name = create(trail, OUTSIDE, protect=True)
    [outcome] = _reap_last(trail, Settings(dry_run=False, force=False), clients)
    assert outcome.action == reaper.SPARED
    assert "MONOCYTE_FORCE is off" in outcome.reason
    assert exists(OUTSIDE, name)


def test_a_members_own_kill_then_the_clusters_both_succeed(aws, trail, kill_settings, clients):
    # The member's CreateDBInstance event (rds.py) and the cluster's, in either order.
    rds = boto3.client("rds", OUTSIDE)
    trail.call(rds, "create_db_cluster", **_cluster("orders"))
    flatten(trail, "dBCluster")
    cluster_event = trail.events[-1]
    trail.call(rds, "create_db_instance", DBInstanceIdentifier="orders-1",
               DBClusterIdentifier="orders", Engine=ENGINE, DBInstanceClass="db.t3.medium")
    [member] = _reap_last(trail, kill_settings, clients)
    [cluster] = reaper.reap(cluster_event, kill_settings, clients)
    assert (member.type, member.action) == ("AWS::RDS::DBInstance", reaper.KILLED)
    assert (cluster.action, cluster.notes) == (reaper.KILLED, ["no final snapshot"])
    assert not KINDS[CLUSTER][1](OUTSIDE, "orders")


def test_a_secondary_of_an_eu_global_database_is_detached_and_killed(
        aws, trail, kill_settings, clients):
    eu, us = boto3.client("rds", INSIDE), boto3.client("rds", OUTSIDE)
    eu.create_global_cluster(GlobalClusterIdentifier="orders-global", Engine=ENGINE)
    eu.create_db_cluster(**_cluster("orders-primary", GlobalClusterIdentifier="orders-global"))
    trail.call(us, "create_db_cluster", DBClusterIdentifier="orders-secondary", Engine=ENGINE,
               GlobalClusterIdentifier="orders-global")
    flatten(trail, "dBCluster")
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert outcome.action == reaper.KILLED
    assert "detached from global cluster orders-global" in outcome.notes
    exists = KINDS[CLUSTER][1]
    assert exists(INSIDE, "orders-primary") and not exists(OUTSIDE, "orders-secondary")
    [member] = eu.describe_global_clusters()["GlobalClusters"][0]["GlobalClusterMembers"]
    assert member["DBClusterArn"].endswith(":cluster:orders-primary")


@pytest.mark.parametrize("source, copy", [(INSIDE, OUTSIDE), (OUTSIDE, INSIDE)])
def test_a_cross_region_copy_is_judged_where_it_lands(source, copy, aws, trail, kill_settings,
                                                     clients):
    # CopyDBClusterSnapshot is called (and logged) in the destination region.
    exists = KINDS["AWS::RDS::DBClusterSnapshot"][1]
    here, there = boto3.client("rds", source), boto3.client("rds", copy)
    here.create_db_cluster(**_cluster("orders"))
    arn = here.create_db_cluster_snapshot(DBClusterSnapshotIdentifier="nightly",
                                          DBClusterIdentifier="orders")[
        "DBClusterSnapshot"]["DBClusterSnapshotArn"]
    trail.call(there, "copy_db_cluster_snapshot", SourceDBClusterSnapshotIdentifier=arn,
               TargetDBClusterSnapshotIdentifier="nightly-copy", SourceRegion=source)
    flatten(trail, "dBClusterSnapshot")
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert (outcome.id, outcome.region) == ("nightly-copy", copy)
    assert exists(source, "nightly")
    if copy == OUTSIDE:
        assert outcome.action == reaper.KILLED and not exists(copy, "nightly-copy")
    else:
        assert outcome.action == reaper.SPARED and exists(copy, "nightly-copy")


def test_a_cluster_still_creating_is_deferred():
    # moto creates at once; real RDS refuses to delete a cluster (or a member) that
    # is still creating. botocore's Stubber plays that answer.
    from conftest import load_event

    rds = boto3.client("rds", OUTSIDE)
    name = "orders-aurora-virginia"
    with Stubber(rds) as stub:
        stub.add_response("describe_db_clusters", {"DBClusters": [{
            "DBClusterIdentifier": name, "Engine": ENGINE, "Status": "creating",
            "DeletionProtection": False, "DBClusterMembers": []}]},
            {"DBClusterIdentifier": name})
        stub.add_client_error("delete_db_cluster", "InvalidDBClusterStateFault",
                              "DB cluster is not in available state", http_status_code=400,
                              expected_params={"DBClusterIdentifier": name,
                                               "SkipFinalSnapshot": True,
                                               "DeleteAutomatedBackups": True})
        event = load_event("rds.CreateDBCluster")
        event["detail"]["responseElements"]["deletionProtection"] = False
        [outcome] = reaper.reap(event, Settings(dry_run=False), OneClient(rds))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.DEFERRED
    assert "InvalidDBClusterStateFault" in outcome.reason


def _described(name, engine, members, status="available"):
    return {"DBClusters": [{
        "DBClusterIdentifier": name, "Engine": engine, "Status": status,
        "DeletionProtection": False,
        "DBClusterArn": f"arn:aws:rds:{OUTSIDE}:123456789012:cluster:{name}",
        "DBClusterMembers": [{"DBInstanceIdentifier": m, "IsClusterWriter": i == 0}
                             for i, m in enumerate(members)]}]}


def _target(name):
    from chalicelib.events import Target

    return Target(CLUSTER, name, OUTSIDE, "123456789012", "scan")


def test_an_aurora_cluster_waits_for_its_members_then_goes_on_a_later_run():
    # RDS refuses DeleteDBCluster until every member is deleting: the first run
    # starts the members' deletes and is deferred, a later run deletes the cluster.
    rds = boto3.client("rds", OUTSIDE)
    name, kill = "orders", Settings(dry_run=False)
    members = {"Filters": [{"Name": "db-cluster-id", "Values": [name]}]}
    delete = {"DBClusterIdentifier": name, "SkipFinalSnapshot": True,
              "DeleteAutomatedBackups": True}
    with Stubber(rds) as stub:
        stub.add_response("describe_db_clusters", _described(name, ENGINE, ["orders-1"]),
                          {"DBClusterIdentifier": name})
        stub.add_response("describe_db_instances", {"DBInstances": [{
            "DBInstanceIdentifier": "orders-1", "DBInstanceStatus": "available"}]}, members)
        stub.add_response("delete_db_instance", {"DBInstance": {
            "DBInstanceIdentifier": "orders-1", "DBInstanceStatus": "deleting"}},
            {"DBInstanceIdentifier": "orders-1", "SkipFinalSnapshot": True})
        stub.add_client_error("delete_db_cluster", "InvalidDBClusterStateFault",
                              "Cluster cannot be deleted, it still contains DB instances in "
                              "non-deleting state.", http_status_code=400,
                              expected_params=delete)
        first = reaper.handle(_target(name), kill, OneClient(rds))
        stub.add_response("describe_db_clusters", _described(name, ENGINE, ["orders-1"]),
                          {"DBClusterIdentifier": name})
        stub.add_response("describe_db_instances", {"DBInstances": [{
            "DBInstanceIdentifier": "orders-1", "DBInstanceStatus": "deleting"}]}, members)
        stub.add_response("delete_db_cluster", {"DBCluster": {
            "DBClusterIdentifier": name, "Status": "deleting"}}, delete)
        again = reaper.handle(_target(name), kill, OneClient(rds))
        stub.assert_no_pending_responses()
    assert first.action == reaper.DEFERRED
    assert (again.action, again.notes) == (reaper.KILLED, ["no final snapshot"])


def test_a_multi_az_db_cluster_takes_its_members_with_it():
    # Engine mysql or postgres: RDS deletes the members itself; none is touched first.
    rds = boto3.client("rds", OUTSIDE)
    name = "ledger"
    with Stubber(rds) as stub:
        stub.add_response("describe_db_clusters",
                          _described(name, "postgres", ["ledger-instance-1", "ledger-instance-2",
                                                        "ledger-instance-3"]),
                          {"DBClusterIdentifier": name})
        stub.add_response("delete_db_cluster", {"DBCluster": {
            "DBClusterIdentifier": name, "Status": "deleting"}},
            {"DBClusterIdentifier": name, "SkipFinalSnapshot": True,
             "DeleteAutomatedBackups": True})
        outcome = reaper.handle(_target(name), Settings(dry_run=False), OneClient(rds))
        stub.assert_no_pending_responses()
    assert (outcome.action, outcome.notes) == (reaper.KILLED, ["no final snapshot"])
