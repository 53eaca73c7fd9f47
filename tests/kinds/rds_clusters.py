"""RDS DB clusters and DB cluster snapshots (see kinds/__init__.py for the contract)."""
from __future__ import annotations

import uuid

import boto3
from botocore.exceptions import ClientError

ENGINE = "aurora-postgresql"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _cluster(name: str, protect: bool = False) -> dict:
    return dict(DBClusterIdentifier=name, Engine=ENGINE, MasterUsername="admin",
                MasterUserPassword="secret-password", DeletionProtection=protect)


def flatten(trail, wrapper: str) -> None:
    """RDS logs the created object itself as responseElements, not wrapped the way
    boto3 returns it (see tests/events/rds.*.json)."""
    detail = trail.events[-1]["detail"]
    detail["responseElements"] = detail["responseElements"][wrapper]


def add_member(rds, cluster: str) -> str:
    """An Aurora writer instance in the cluster, as a team adds one right after."""
    name = f"{cluster}-1"
    rds.create_db_instance(DBInstanceIdentifier=name, DBClusterIdentifier=cluster,
                           Engine=ENGINE, DBInstanceClass="db.t3.medium")
    return name


def create_cluster(trail, region, protect=False):
    rds = boto3.client("rds", region)
    name = _name("cluster")
    trail.call(rds, "create_db_cluster", **_cluster(name, protect))
    flatten(trail, "dBCluster")
    # With a member, so the kill has to delete it before the cluster.
    add_member(rds, name)
    return name


def cluster_exists(region, name):
    try:
        boto3.client("rds", region).describe_db_clusters(DBClusterIdentifier=name)
        return True
    except ClientError:
        return False


def create_cluster_snapshot(trail, region, protect=False):
    rds = boto3.client("rds", region)
    cluster = _name("snapcluster")
    rds.create_db_cluster(**_cluster(cluster))
    name = _name("csnap")
    trail.call(rds, "create_db_cluster_snapshot", DBClusterSnapshotIdentifier=name,
               DBClusterIdentifier=cluster)
    flatten(trail, "dBClusterSnapshot")
    return name


def cluster_snapshot_exists(region, name):
    try:
        boto3.client("rds", region).describe_db_cluster_snapshots(
            DBClusterSnapshotIdentifier=name)
        return True
    except ClientError:
        return False


KINDS = {
    "AWS::RDS::DBCluster": (create_cluster, cluster_exists),
    "AWS::RDS::DBClusterSnapshot": (create_cluster_snapshot, cluster_snapshot_exists),
}

PAGES = {
    "AWS::RDS::DBCluster": lambda n: {"DBClusters": [{
        "DBClusterIdentifier": n, "Engine": ENGINE, "Status": "available",
        "ClusterCreateTime": "2026-01-01T00:00:00Z"}]},
    "AWS::RDS::DBClusterSnapshot": lambda n: {"DBClusterSnapshots": [{
        "DBClusterSnapshotIdentifier": n, "DBClusterIdentifier": "c", "Status": "available",
        "SnapshotType": "manual", "SnapshotCreateTime": "2026-01-01T00:00:00Z"}]},
}
