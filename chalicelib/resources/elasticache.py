"""ElastiCache cache clusters and replication groups.

No final snapshot is taken: it would keep the cached data in the forbidden region.
CloudTrail flattens the created cluster (group) into responseElements, as for RDS.
ElastiCache lower-cases identifiers, so the response's id comes before the request's.
A cluster or group still being created (or modified) refuses the delete with an
invalid-state fault, which defers the kill. A member of a global datastore leaves it
first (elasticache_global.py).
"""
from __future__ import annotations

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso
from chalicelib.resources import elasticache_global

SOURCE = "elasticache.amazonaws.com"
_GOING = {"deleting", "deleted"}


def inspect_cache_cluster(client, cluster_id: str) -> Live | None:
    found = client.describe_cache_clusters(CacheClusterId=cluster_id)["CacheClusters"]
    if not found or found[0].get("CacheClusterStatus") in _GOING:
        return None
    return Live(created=utc_iso(found[0].get("CacheClusterCreateTime")))


def delete_cache_cluster(client, cluster_id: str, live: Live, force: bool) -> list[str]:
    client.delete_cache_cluster(CacheClusterId=cluster_id)  # no FinalSnapshotIdentifier
    return ["no final snapshot"]


def inspect_replication_group(client, group_id: str) -> Live | None:
    found = client.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"]
    if not found or found[0].get("Status") in _GOING:
        return None
    # A member of a global datastore: what leaving it takes (elasticache_global.py).
    facts, also_in = elasticache_global.membership(client, found[0])
    return Live(created=utc_iso(found[0].get("ReplicationGroupCreateTime")), facts=facts,
                also_in=also_in)


def delete_replication_group(client, group_id: str, live: Live, force: bool) -> list[str]:
    notes = elasticache_global.leave(client, group_id, live.facts)
    # Its member clusters go with it; no FinalSnapshotIdentifier. Refused while a
    # disassociation settles (invalid state): deferred, the next run deletes it.
    client.delete_replication_group(ReplicationGroupId=group_id, RetainPrimaryCluster=False)
    return notes + ["no final snapshot"]


TYPES = (
    ResourceType(
        cfn_type="AWS::ElastiCache::CacheCluster",
        service="elasticache",
        events=(CreateEvent(SOURCE, "CreateCacheCluster",
                            "detail.responseElements.cacheClusterId"
                            " || detail.requestParameters.cacheClusterId"),),
        inspect=inspect_cache_cluster,
        delete=delete_cache_cluster,
        # A member of a replication group goes with its group.
        listing=Listing("describe_cache_clusters", "CacheClusters[?!ReplicationGroupId]",
                        "CacheClusterId", created="CacheClusterCreateTime"),
        actions=("elasticache:DescribeCacheClusters", "elasticache:DeleteCacheCluster"),
        not_found=("CacheClusterNotFound", "CacheClusterNotFoundFault"),
        not_ready=("InvalidCacheClusterState", "InvalidCacheClusterStateFault"),
    ),
    ResourceType(
        cfn_type="AWS::ElastiCache::ReplicationGroup",
        service="elasticache",
        events=(CreateEvent(SOURCE, "CreateReplicationGroup",
                            "detail.responseElements.replicationGroupId"
                            " || detail.requestParameters.replicationGroupId"),),
        inspect=inspect_replication_group,
        delete=delete_replication_group,
        listing=Listing("describe_replication_groups", "ReplicationGroups[]",
                        "ReplicationGroupId", created="ReplicationGroupCreateTime"),
        actions=("elasticache:DescribeReplicationGroups", "elasticache:DeleteReplicationGroup",
                 *elasticache_global.ACTIONS),
        not_found=("ReplicationGroupNotFoundFault",),
        not_ready=("InvalidReplicationGroupState", "InvalidReplicationGroupStateFault",
                   *elasticache_global.NOT_READY),
    ),
)
