"""OpenSearch domains and Redshift clusters (see kinds/__init__.py for the contract)."""
from __future__ import annotations

import uuid

import boto3
from botocore.exceptions import ClientError


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_domain(trail, region, protect=False):
    opensearch = boto3.client("opensearch", region)
    name = _name("search")
    trail.call(opensearch, "create_domain", DomainName=name, EngineVersion="OpenSearch_2.11",
               ClusterConfig={"InstanceType": "t3.small.search", "InstanceCount": 1},
               EBSOptions={"EBSEnabled": True, "VolumeSize": 10})
    return name


def domain_exists(region, name):
    try:
        status = boto3.client("opensearch", region).describe_domain(DomainName=name)
    except ClientError:
        return False
    return not status["DomainStatus"].get("Deleted")


def create_redshift_cluster(trail, region, protect=False):
    redshift = boto3.client("redshift", region)
    name = _name("warehouse")
    trail.call(redshift, "create_cluster", ClusterIdentifier=name, NodeType="ra3.large",
               ClusterType="single-node", MasterUsername="admin",
               MasterUserPassword="Secret-password1")
    # CloudTrail logs the created cluster without its wrapper element.
    detail = trail.events[-1]["detail"]
    detail["responseElements"] = detail["responseElements"]["cluster"]
    return name


def redshift_cluster_exists(region, name):
    try:
        found = boto3.client("redshift", region).describe_clusters(
            ClusterIdentifier=name)["Clusters"]
    except ClientError:
        return False
    return found[0]["ClusterStatus"] not in ("deleting", "final-snapshot")


def create_redshift_snapshot(trail, region, protect=False):
    """A manual snapshot of a cluster made for it (the cluster is another target)."""
    redshift = boto3.client("redshift", region)
    cluster = _name("warehouse")
    redshift.create_cluster(ClusterIdentifier=cluster, NodeType="ra3.large",
                            ClusterType="single-node", MasterUsername="admin",
                            MasterUserPassword="Secret-password1")
    name = _name("snapshot")
    trail.call(redshift, "create_cluster_snapshot", SnapshotIdentifier=name,
               ClusterIdentifier=cluster)
    detail = trail.events[-1]["detail"]  # flattened, as CreateCluster's
    detail["responseElements"] = detail["responseElements"]["snapshot"]
    return name


def redshift_snapshot_exists(region, name):
    try:
        found = boto3.client("redshift", region).describe_cluster_snapshots(
            SnapshotIdentifier=name)["Snapshots"]
    except ClientError:
        return False
    return bool(found) and found[0].get("Status") != "deleted"


KINDS = {
    "AWS::OpenSearchService::Domain": (create_domain, domain_exists),
    "AWS::Redshift::Cluster": (create_redshift_cluster, redshift_cluster_exists),
    "AWS::Redshift::ClusterSnapshot": (create_redshift_snapshot, redshift_snapshot_exists),
}

# One item per page of each list call, in its real response shape (test_scan).
PAGES = {
    "AWS::OpenSearchService::Domain": lambda n: {"DomainNames": [
        {"DomainName": n, "EngineType": "OpenSearch"}]},
    "AWS::Redshift::Cluster": lambda n: {"Clusters": [
        {"ClusterIdentifier": n, "ClusterStatus": "available", "NodeType": "ra3.large"}]},
    "AWS::Redshift::ClusterSnapshot": lambda n: {"Snapshots": [
        {"SnapshotIdentifier": n, "ClusterIdentifier": "warehouse", "Status": "available",
         "SnapshotType": "manual"}]},
}
