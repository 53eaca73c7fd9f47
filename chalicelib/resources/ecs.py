"""ECS clusters (CreateCluster of ecs.amazonaws.com; EKS and Redshift have their own).

The id is the cluster ARN from the CreateCluster response; every ECS call takes it.
A cluster that still holds services, tasks or container instances refuses
DeleteCluster, so the kill first deletes its services (``force`` scales each to zero
as part of the delete), stops its standalone tasks and deregisters its container
instances (the EC2 instances themselves are AWS::EC2::Instance's). Services drain
asynchronously: until they are gone DeleteCluster answers
ClusterContainsServicesException, and the kill is deferred to a later run.
"""
from __future__ import annotations

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType

# A deleted cluster stays visible as INACTIVE for a while.
_GONE = {"INACTIVE", "DEPROVISIONING"}
_WHY = "monocyte: created outside the allowed regions"


def inspect_cluster(client, cluster: str) -> Live | None:
    # An unknown cluster is not an error here: it comes back in "failures".
    found = client.describe_clusters(clusters=[cluster])["clusters"]
    if not found or found[0].get("status") in _GONE:
        return None
    return Live()


def _all(client, operation: str, key: str, cluster: str) -> list[str]:
    pages = client.get_paginator(operation).paginate(cluster=cluster)
    return [arn for page in pages for arn in page.get(key, [])]


def _delete_services(client, cluster: str) -> int:
    deleted = 0
    for service in _all(client, "list_services", "serviceArns", cluster):
        try:
            client.delete_service(cluster=cluster, service=service, force=True)
            deleted += 1
        except (client.exceptions.ServiceNotActiveException,
                client.exceptions.ServiceNotFoundException):
            pass  # already draining from an earlier run, or gone
    return deleted


def delete_cluster(client, cluster: str, live: Live, force: bool) -> list[str]:
    services = _delete_services(client, cluster)
    tasks = _all(client, "list_tasks", "taskArns", cluster)
    for task in tasks:
        client.stop_task(cluster=cluster, task=task, reason=_WHY)
    instances = _all(client, "list_container_instances", "containerInstanceArns", cluster)
    for instance in instances:
        client.deregister_container_instance(cluster=cluster, containerInstance=instance,
                                             force=True)
    client.delete_cluster(cluster=cluster)
    done = ((services, "services deleted"), (len(tasks), "tasks stopped"),
            (len(instances), "container instances deregistered"))
    return [f"{count} {what}" for count, what in done if count]


TYPES = (
    ResourceType(
        cfn_type="AWS::ECS::Cluster",
        service="ecs",
        events=(CreateEvent("ecs.amazonaws.com", "CreateCluster",
                            "detail.responseElements.cluster.clusterArn"),),
        inspect=inspect_cluster,
        delete=delete_cluster,
        listing=Listing("list_clusters", "clusterArns[]", "@"),
        actions=("ecs:ListClusters", "ecs:DescribeClusters", "ecs:ListServices",
                 "ecs:DeleteService", "ecs:ListTasks", "ecs:StopTask",
                 "ecs:ListContainerInstances", "ecs:DeregisterContainerInstance",
                 "ecs:DeleteCluster"),
        not_found=("ClusterNotFoundException",),
        # Services still draining, tasks still stopping, a capacity provider still in
        # use by them, an update still running.
        not_ready=("ClusterContainsServicesException", "ClusterContainsTasksException",
                   "ClusterContainsContainerInstancesException",
                   "ClusterContainsCapacityProviderException", "UpdateInProgressException"),
    ),
)
