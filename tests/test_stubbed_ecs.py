"""ECS where moto cannot tell: it deletes a cluster whatever it holds. In AWS,
services drain before the cluster can go, so the first kill is deferred. botocore's
Stubber plays ECS with the real response shapes, from the recorded event."""
from __future__ import annotations

import boto3
from botocore.stub import Stubber

from chalicelib import reaper
from chalicelib.config import Settings
from conftest import OneClient, load_event

ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/checkout-batch"
SERVICE = "arn:aws:ecs:us-east-1:123456789012:service/checkout-batch/worker"
TASK = "arn:aws:ecs:us-east-1:123456789012:task/checkout-batch/0a1b2c3d4e5f46a7b8c9d0e1f2a3b4c5"
INSTANCE = ("arn:aws:ecs:us-east-1:123456789012:container-instance/checkout-batch/"
            "9f8e7d6c5b4a43218f7e6d5c4b3a2918")
KILL = Settings(dry_run=False)


def _cluster(status: str = "ACTIVE") -> dict:
    return {"clusterArn": ARN, "clusterName": "checkout-batch", "status": status,
            "activeServicesCount": 1, "runningTasksCount": 1}


def _describe(stub, status: str = "ACTIVE") -> None:
    stub.add_response("describe_clusters", {"clusters": [_cluster(status)], "failures": []},
                      {"clusters": [ARN]})


def _contents(stub, services=(), tasks=(), instances=()) -> None:
    stub.add_response("list_services", {"serviceArns": list(services)}, {"cluster": ARN})
    for service in services:
        stub.add_response("delete_service", {"service": {
            "serviceArn": service, "serviceName": "worker", "clusterArn": ARN,
            "status": "DRAINING", "desiredCount": 0}},
            {"cluster": ARN, "service": service, "force": True})
    stub.add_response("list_tasks", {"taskArns": list(tasks)}, {"cluster": ARN})
    for task in tasks:
        stub.add_response("stop_task", {"task": {"taskArn": task, "lastStatus": "RUNNING",
                                                 "desiredStatus": "STOPPED"}},
                          {"cluster": ARN, "task": task,
                           "reason": "monocyte: created outside the allowed regions"})
    stub.add_response("list_container_instances", {"containerInstanceArns": list(instances)},
                      {"cluster": ARN})
    for instance in instances:
        stub.add_response("deregister_container_instance", {"containerInstance": {
            "containerInstanceArn": instance, "status": "INACTIVE"}},
            {"cluster": ARN, "containerInstance": instance, "force": True})


def test_a_cluster_with_services_deletes_them_and_is_deferred_while_they_drain():
    ecs = boto3.client("ecs", "us-east-1")
    with Stubber(ecs) as stub:
        _describe(stub)
        _contents(stub, services=[SERVICE], tasks=[TASK], instances=[INSTANCE])
        stub.add_client_error("delete_cluster", "ClusterContainsServicesException",
                              "The Cluster cannot be deleted while Services are active.",
                              expected_params={"cluster": ARN})
        [outcome] = reaper.reap(load_event("ecs.CreateCluster"), KILL, OneClient(ecs))
        stub.assert_no_pending_responses()
    assert (outcome.action, outcome.id) == (reaper.DEFERRED, ARN)


def test_a_later_run_deletes_the_drained_cluster():
    ecs = boto3.client("ecs", "us-east-1")
    with Stubber(ecs) as stub:
        _describe(stub)
        stub.add_response("list_services", {"serviceArns": [SERVICE]}, {"cluster": ARN})
        # Still draining from the first run: not an error, nothing to do.
        stub.add_client_error("delete_service", "ServiceNotActiveException",
                              "Service was not ACTIVE.",
                              expected_params={"cluster": ARN, "service": SERVICE, "force": True})
        stub.add_response("list_tasks", {"taskArns": []}, {"cluster": ARN})
        stub.add_response("list_container_instances", {"containerInstanceArns": []},
                          {"cluster": ARN})
        stub.add_response("delete_cluster", {"cluster": _cluster("INACTIVE")}, {"cluster": ARN})
        [outcome] = reaper.reap(load_event("ecs.CreateCluster"), KILL, OneClient(ecs))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.KILLED


def test_a_deleted_cluster_is_gone():
    # ECS keeps a deleted cluster visible as INACTIVE for a while.
    ecs = boto3.client("ecs", "us-east-1")
    with Stubber(ecs) as stub:
        _describe(stub, "INACTIVE")
        [outcome] = reaper.reap(load_event("ecs.CreateCluster"), KILL, OneClient(ecs))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.GONE


def test_the_eu_twin_is_spared_without_a_call():
    event = load_event("ecs.CreateCluster")
    event["detail"]["awsRegion"] = "eu-central-1"
    ecs = boto3.client("ecs", "eu-central-1")
    with Stubber(ecs):  # no response queued: any call would fail the test
        [outcome] = reaper.reap(event, KILL, OneClient(ecs))
    assert outcome.action == reaper.SPARED
