"""Redshift provisioned clusters (CreateCluster of redshift.amazonaws.com).

Deleted with SkipFinalClusterSnapshot: a final snapshot would keep the warehouse's
data in the forbidden region. CloudTrail flattens the created cluster into
responseElements; Redshift lower-cases identifiers, so the response's id comes before
the request's. A cluster still being created refuses the delete with
InvalidClusterState, which defers the kill.
"""
from __future__ import annotations

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, tag_dict, utc_iso

_GOING = {"deleting", "final-snapshot"}


def inspect_cluster(client, identifier: str) -> Live | None:
    found = client.describe_clusters(ClusterIdentifier=identifier)["Clusters"]
    if not found or found[0].get("ClusterStatus") in _GOING:
        return None
    return Live(created=utc_iso(found[0].get("ClusterCreateTime")),
                tags=tag_dict(found[0].get("Tags")))


def delete_cluster(client, identifier: str, live: Live, force: bool) -> list[str]:
    client.delete_cluster(ClusterIdentifier=identifier, SkipFinalClusterSnapshot=True)
    return ["no final snapshot"]


TYPES = (
    ResourceType(
        cfn_type="AWS::Redshift::Cluster",
        service="redshift",
        events=(CreateEvent("redshift.amazonaws.com", "CreateCluster",
                            "detail.responseElements.clusterIdentifier"
                            " || detail.requestParameters.clusterIdentifier"),),
        inspect=inspect_cluster,
        delete=delete_cluster,
        listing=Listing("describe_clusters", "Clusters[]", "ClusterIdentifier",
                        created="ClusterCreateTime"),
        actions=("redshift:DescribeClusters", "redshift:DeleteCluster"),
        not_found=("ClusterNotFound",),
        not_ready=("InvalidClusterState",),
    ),
)
