"""EKS where moto cannot tell: it deletes node groups at once, never refuses a cluster
still CREATING, and has no deletion protection. botocore's Stubber plays EKS with
the real response shapes, from the recorded events."""
from __future__ import annotations

import datetime

import boto3
from botocore.stub import Stubber

from chalicelib import reaper
from chalicelib.config import Settings
from conftest import OneClient, load_event

WHEN = datetime.datetime(2026, 11, 29, 11, 10, 5, tzinfo=datetime.timezone.utc)
KILL = Settings(dry_run=False)


def _cluster(name: str, status: str = "ACTIVE", protected: bool = False) -> dict:
    return {"cluster": {"name": name, "arn": f"arn:aws:eks:us-west-2:123456789012:cluster/{name}",
                        "createdAt": WHEN, "version": "1.31", "status": status,
                        "deletionProtection": protected}}


def _nodegroup(cluster: str, name: str, status: str = "ACTIVE") -> dict:
    return {"nodegroup": {"nodegroupName": name, "clusterName": cluster, "status": status,
                          "createdAt": WHEN}}


def _refused(stub, operation: str, params: dict) -> None:
    stub.add_client_error(operation, "ResourceInUseException", "Cluster has nodegroups "
                          "attached", 409, expected_params=params)


def _kill_cluster(eks, event: str = "eks.CreateCluster") -> reaper.Outcome:
    [outcome] = reaper.reap(load_event(event), KILL, OneClient(eks))
    return outcome


def test_a_cluster_with_node_groups_starts_their_deletion_and_is_deferred():
    eks = boto3.client("eks", "us-west-2")
    with Stubber(eks) as stub:
        stub.add_response("describe_cluster", _cluster("ml-training"), {"name": "ml-training"})
        stub.add_response("list_nodegroups", {"nodegroups": ["gpu-workers", "cpu-workers"]},
                          {"clusterName": "ml-training"})
        for name in ("gpu-workers", "cpu-workers"):
            stub.add_response("describe_nodegroup", _nodegroup("ml-training", name),
                              {"clusterName": "ml-training", "nodegroupName": name})
        for name in ("gpu-workers", "cpu-workers"):
            stub.add_response("delete_nodegroup",
                              _nodegroup("ml-training", name, "DELETING"),
                              {"clusterName": "ml-training", "nodegroupName": name})
        stub.add_response("list_fargate_profiles", {"fargateProfileNames": []},
                          {"clusterName": "ml-training"})
        _refused(stub, "delete_cluster", {"name": "ml-training"})
        outcome = _kill_cluster(eks)
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.DEFERRED
    assert "ResourceInUseException" in outcome.reason


def test_a_later_run_deletes_the_cluster_once_its_node_groups_are_gone():
    eks = boto3.client("eks", "us-west-2")
    with Stubber(eks) as stub:
        stub.add_response("describe_cluster", _cluster("ml-training"), {"name": "ml-training"})
        stub.add_response("list_nodegroups", {"nodegroups": []}, {"clusterName": "ml-training"})
        stub.add_response("list_fargate_profiles", {"fargateProfileNames": []},
                          {"clusterName": "ml-training"})
        stub.add_response("delete_cluster", _cluster("ml-training", "DELETING"),
                          {"name": "ml-training"})
        outcome = _kill_cluster(eks)
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.KILLED


def test_node_groups_already_deleting_are_left_to_finish():
    eks = boto3.client("eks", "us-west-2")
    with Stubber(eks) as stub:
        stub.add_response("describe_cluster", _cluster("ml-training"), {"name": "ml-training"})
        stub.add_response("list_nodegroups", {"nodegroups": ["gpu-workers"]},
                          {"clusterName": "ml-training"})
        stub.add_response("describe_nodegroup",
                          _nodegroup("ml-training", "gpu-workers", "DELETING"),
                          {"clusterName": "ml-training", "nodegroupName": "gpu-workers"})
        stub.add_response("list_fargate_profiles", {"fargateProfileNames": []},
                          {"clusterName": "ml-training"})
        _refused(stub, "delete_cluster", {"name": "ml-training"})
        outcome = _kill_cluster(eks)
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.DEFERRED


def test_fargate_profiles_are_deleted_one_at_a_time():
    # EKS refuses a second DeleteFargateProfile while the first runs: deferred.
    eks = boto3.client("eks", "us-west-2")
    with Stubber(eks) as stub:
        stub.add_response("describe_cluster", _cluster("ml-training"), {"name": "ml-training"})
        stub.add_response("list_nodegroups", {"nodegroups": []}, {"clusterName": "ml-training"})
        stub.add_response("list_fargate_profiles", {"fargateProfileNames": ["jobs", "web"]},
                          {"clusterName": "ml-training"})
        stub.add_response("delete_fargate_profile", {"fargateProfile": {
            "fargateProfileName": "jobs", "clusterName": "ml-training", "status": "DELETING"}},
            {"clusterName": "ml-training", "fargateProfileName": "jobs"})
        _refused(stub, "delete_fargate_profile",
                 {"clusterName": "ml-training", "fargateProfileName": "web"})
        outcome = _kill_cluster(eks)
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.DEFERRED
    assert "cannot be deleted yet" in outcome.reason


def test_a_cluster_still_creating_is_deferred():
    eks = boto3.client("eks", "us-west-2")
    with Stubber(eks) as stub:
        stub.add_response("describe_cluster", _cluster("ml-inference", "CREATING"),
                          {"name": "ml-inference"})
        stub.add_response("list_nodegroups", {"nodegroups": []}, {"clusterName": "ml-inference"})
        stub.add_response("list_fargate_profiles", {"fargateProfileNames": []},
                          {"clusterName": "ml-inference"})
        _refused(stub, "delete_cluster", {"name": "ml-inference"})
        outcome = _kill_cluster(eks, "eks.CreateCluster.name")
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.DEFERRED


def test_deletion_protection_is_disabled_with_force_and_said():
    eks = boto3.client("eks", "us-west-2")
    with Stubber(eks) as stub:
        stub.add_response("describe_cluster", _cluster("ml-training", protected=True),
                          {"name": "ml-training"})
        stub.add_response("update_cluster_config", {"update": {
            "id": "5d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a", "status": "InProgress",
            "type": "DeletionProtectionUpdate"}},
            {"name": "ml-training", "deletionProtection": False})
        stub.add_response("list_nodegroups", {"nodegroups": []}, {"clusterName": "ml-training"})
        stub.add_response("list_fargate_profiles", {"fargateProfileNames": []},
                          {"clusterName": "ml-training"})
        stub.add_response("delete_cluster", _cluster("ml-training", "DELETING"),
                          {"name": "ml-training"})
        outcome = _kill_cluster(eks)
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.KILLED
    assert "deletion protection disabled" in outcome.notes


def test_without_force_a_protected_cluster_is_spared():
    eks = boto3.client("eks", "us-west-2")
    with Stubber(eks) as stub:
        stub.add_response("describe_cluster", _cluster("ml-training", protected=True),
                          {"name": "ml-training"})
        [outcome] = reaper.reap(load_event("eks.CreateCluster"),
                                Settings(dry_run=False, force=False), OneClient(eks))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.SPARED
    assert "MONOCYTE_FORCE is off" in outcome.reason


def test_a_node_group_still_creating_is_deferred():
    eks = boto3.client("eks", "us-west-2")
    ids = {"clusterName": "ml-training", "nodegroupName": "gpu-workers"}
    with Stubber(eks) as stub:
        stub.add_response("describe_nodegroup",
                          _nodegroup("ml-training", "gpu-workers", "CREATING"), ids)
        _refused(stub, "delete_nodegroup", ids)
        [outcome] = reaper.reap(load_event("eks.CreateNodegroup"), KILL, OneClient(eks))
        stub.assert_no_pending_responses()
    assert (outcome.action, outcome.id) == (reaper.DEFERRED, "ml-training/gpu-workers")


def test_the_scan_names_every_node_group_of_a_cluster_by_the_cluster():
    from chalicelib.events import Target

    eks = boto3.client("eks", "us-west-2")
    target = Target("AWS::EKS::Nodegroup", "ml-training", "us-west-2", "123456789012", "scan")
    with Stubber(eks) as stub:
        stub.add_response("list_nodegroups", {"nodegroups": ["gpu-workers", "cpu-workers"]},
                          {"clusterName": "ml-training"})
        for name in ("gpu-workers", "cpu-workers"):
            stub.add_response("describe_nodegroup", _nodegroup("ml-training", name),
                              {"clusterName": "ml-training", "nodegroupName": name})
        for name in ("gpu-workers", "cpu-workers"):
            stub.add_response("delete_nodegroup", _nodegroup("ml-training", name, "DELETING"),
                              {"clusterName": "ml-training", "nodegroupName": name})
        outcome = reaper.handle(target, KILL, OneClient(eks))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.KILLED
    assert outcome.notes == ["node groups deleted: gpu-workers, cpu-workers"]


def test_the_eu_twin_is_spared_without_a_call():
    event = load_event("eks.CreateCluster")
    event["detail"]["awsRegion"] = "eu-central-1"
    eks = boto3.client("eks", "eu-central-1")
    with Stubber(eks):  # no response queued: any call would fail the test
        [outcome] = reaper.reap(event, KILL, OneClient(eks))
    assert outcome.action == reaper.SPARED
