"""EKS clusters and managed node groups (eks.amazonaws.com).

EKS refuses DeleteCluster (ResourceInUseException) while the cluster has node groups
or Fargate profiles, and deleting those takes minutes. So the kill of a cluster
starts their deletion and then asks for the cluster's: in AWS that is refused until
they are gone and the kill is deferred; a later run (the scan) deletes the cluster.
A cluster still CREATING refuses with the same code and is deferred too.

A node group's id is ``CLUSTER/NODEGROUP``. ListNodegroups needs its cluster, and the
scan lists once per region, so the scan names a cluster's node groups by the plain
cluster name: ``CLUSTER`` means "every node group of CLUSTER". (The node groups of a
cluster outside the EU also go with the cluster's own kill.) So an exemption for a
cluster's node groups needs an id glob that matches both forms: ``CLUSTER*``.
"""
from __future__ import annotations

from chalicelib.errors import NotFound, NotReady, Protected
from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso

SOURCE = "eks.amazonaws.com"


def inspect_cluster(client, name: str) -> Live | None:
    cluster = client.describe_cluster(name=name)["cluster"]
    if cluster.get("status") == "DELETING":
        return None
    return Live(protected=bool(cluster.get("deletionProtection")),
                created=utc_iso(cluster.get("createdAt")), tags=dict(cluster.get("tags") or {}))


def _live_nodegroups(client, cluster: str) -> list[str]:
    """The cluster's node groups that are not already on their way out."""
    pages = client.get_paginator("list_nodegroups").paginate(clusterName=cluster)
    names = [n for page in pages for n in page.get("nodegroups", [])]
    remaining = []
    for name in names:
        try:
            found = client.describe_nodegroup(clusterName=cluster, nodegroupName=name)
        except client.exceptions.ResourceNotFoundException:
            continue  # gone between the list and the describe
        if found["nodegroup"].get("status") != "DELETING":
            remaining.append(name)
    return remaining


def _delete_each(delete, names: list[str], exceptions) -> tuple[list[str], list[str]]:
    """Start every deletion: (started, busy). One that is gone already is neither;
    one still creating, or waiting for its sibling's deletion, is busy."""
    started, busy = [], []
    for name in names:
        try:
            delete(name)
            started.append(name)
        except exceptions.ResourceNotFoundException:
            pass
        except exceptions.ResourceInUseException:
            busy.append(name)
    return started, busy


def delete_cluster(client, name: str, live: Live, force: bool) -> list[str]:
    notes = []
    if live.protected:
        if not force:
            raise Protected(f"EKS cluster {name} has deletion protection")
        client.update_cluster_config(name=name, deletionProtection=False)
        notes.append("deletion protection disabled")
    nodegroups, busy = _delete_each(
        lambda n: client.delete_nodegroup(clusterName=name, nodegroupName=n),
        _live_nodegroups(client, name), client.exceptions)
    profiles = [p for page in client.get_paginator("list_fargate_profiles").paginate(
        clusterName=name) for p in page.get("fargateProfileNames", [])]
    # EKS deletes one Fargate profile of a cluster at a time: the others are busy.
    started, waiting = _delete_each(
        lambda p: client.delete_fargate_profile(clusterName=name, fargateProfileName=p),
        profiles, client.exceptions)
    notes += [f"{len(found)} {what} deleted" for found, what in (
        (nodegroups, "node groups"), (started, "Fargate profiles")) if found]
    if busy or waiting:
        raise NotReady(f"EKS cluster {name}: {len(busy) + len(waiting)} node groups or "
                       "Fargate profiles cannot be deleted yet")
    # Refused (ResourceInUseException: deferred) until the deletions above are done,
    # while the protection update runs, or while the cluster is still CREATING.
    client.delete_cluster(name=name)
    return notes


def _split(nodegroup_id: str) -> tuple[str, str | None]:
    """(cluster, node group); no node group for a scan's plain cluster name."""
    cluster, _, nodegroup = nodegroup_id.partition("/")
    return cluster, nodegroup or None


def inspect_nodegroup(client, nodegroup_id: str) -> Live | None:
    cluster, nodegroup = _split(nodegroup_id)
    if nodegroup is None:
        remaining = _live_nodegroups(client, cluster)
        return Live(facts={"nodegroups": remaining}) if remaining else None
    found = client.describe_nodegroup(clusterName=cluster, nodegroupName=nodegroup)["nodegroup"]
    if found.get("status") == "DELETING":
        return None
    return Live(created=utc_iso(found.get("createdAt")), tags=dict(found.get("tags") or {}),
                facts={"nodegroups": [nodegroup]})


def delete_nodegroup(client, nodegroup_id: str, live: Live, force: bool) -> list[str]:
    cluster, nodegroup = _split(nodegroup_id)
    names = live.facts.get("nodegroups") or [nodegroup]
    started, busy = _delete_each(
        lambda n: client.delete_nodegroup(clusterName=cluster, nodegroupName=n),
        names, client.exceptions)
    if busy:
        # Still CREATING (or UPDATING): a later run deletes it.
        raise NotReady(f"node groups of {cluster} not deletable yet: {', '.join(busy)}")
    if not started:
        raise NotFound(f"node groups of {cluster} are gone: {', '.join(names)}")
    return [f"node groups deleted: {', '.join(started)}"] if nodegroup is None else []


TYPES = (
    ResourceType(
        cfn_type="AWS::EKS::Cluster",
        service="eks",
        # The cluster's name. AWS's documented record spells it clusterName on both
        # sides; the API's own member (and so newer records) is name.
        events=(CreateEvent(SOURCE, "CreateCluster",
                            "detail.responseElements.cluster.name"
                            " || detail.responseElements.cluster.clusterName"
                            " || detail.requestParameters.name"
                            " || detail.requestParameters.clusterName"),),
        inspect=inspect_cluster,
        delete=delete_cluster,
        listing=Listing("list_clusters", "clusters[]", "@"),
        actions=("eks:ListClusters", "eks:DescribeCluster", "eks:UpdateClusterConfig",
                 "eks:ListNodegroups", "eks:DescribeNodegroup", "eks:DeleteNodegroup",
                 "eks:ListFargateProfiles", "eks:DeleteFargateProfile", "eks:DeleteCluster"),
        not_found=("ResourceNotFoundException",),
        not_ready=("ResourceInUseException",),
    ),
    ResourceType(
        cfn_type="AWS::EKS::Nodegroup",
        service="eks",
        # CLUSTER/NODEGROUP from the response, which names both. to_string keeps a
        # malformed record from raising: it only names nothing that exists.
        events=(CreateEvent(SOURCE, "CreateNodegroup",
                            "detail.responseElements.nodegroup"
                            " | clusterName && nodegroupName"
                            " && join('/', [to_string(clusterName), to_string(nodegroupName)])"),),
        inspect=inspect_nodegroup,
        delete=delete_nodegroup,
        # One item per cluster, standing for all of its node groups (see above).
        listing=Listing("list_clusters", "clusters[]", "@"),
        actions=("eks:ListClusters", "eks:ListNodegroups", "eks:DescribeNodegroup",
                 "eks:DeleteNodegroup"),
        not_found=("ResourceNotFoundException",),
        not_ready=("ResourceInUseException",),
    ),
)
