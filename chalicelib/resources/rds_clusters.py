"""RDS DB clusters (Aurora, Multi-AZ DB clusters) and DB cluster snapshots.

The DB instance and DB snapshot types live in ``rds.py``. DescribeDBClusters also
answers for Neptune and DocumentDB clusters, which share this API: outside the EU
they go the same way.
"""
from __future__ import annotations

from chalicelib.errors import NotFound, Protected, aws_errors
from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso

SOURCE = "rds.amazonaws.com"
# A Multi-AZ DB cluster (engine mysql or postgres) deletes its member instances
# itself; Aurora (and Neptune, DocumentDB) refuse DeleteDBCluster while a member is
# not yet deleting.
_MEMBERS_GO_WITH_CLUSTER = {"mysql", "postgres"}
_INSTANCE_GONE = ("DBInstanceNotFound", "DBInstanceNotFoundFault")
_INSTANCE_BUSY = ("InvalidDBInstanceState", "InvalidDBInstanceStateFault")


def inspect_cluster(client, identifier: str) -> Live | None:
    found = client.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"]
    if not found or found[0].get("Status") == "deleting":
        return None
    cluster = found[0]
    return Live(protected=bool(cluster.get("DeletionProtection")),
                created=utc_iso(cluster.get("ClusterCreateTime")),
                facts={"engine": cluster.get("Engine", ""),
                       "arn": cluster.get("DBClusterArn", ""),
                       "global": cluster.get("GlobalClusterIdentifier") or "",
                       "members": bool(cluster.get("DBClusterMembers"))})


def _delete_members(client, identifier: str) -> int:
    """Start deleting every member instance not already on its way out."""
    members = client.describe_db_instances(
        Filters=[{"Name": "db-cluster-id", "Values": [identifier]}])["DBInstances"]
    started = 0
    for member in members:
        if member.get("DBInstanceStatus") == "deleting":
            continue
        try:
            # A member has no final snapshot of its own (the data is the cluster's).
            with aws_errors(not_found=_INSTANCE_GONE, not_ready=_INSTANCE_BUSY):
                client.delete_db_instance(DBInstanceIdentifier=member["DBInstanceIdentifier"],
                                          SkipFinalSnapshot=True)
        except NotFound:
            continue  # deleted meanwhile (by its own kill, in the same scan)
        started += 1
    return started


def delete_cluster(client, identifier: str, live: Live, force: bool) -> list[str]:
    notes = []
    if live.protected:
        if not force:
            raise Protected(f"DB cluster {identifier} has deletion protection")
        client.modify_db_cluster(DBClusterIdentifier=identifier, DeletionProtection=False,
                                 ApplyImmediately=True)
        notes.append("deletion protection disabled")
    if live.facts.get("global"):
        # A secondary of a global database (its primary may well be in the EU) must
        # leave the global cluster before it can be deleted; the primary stays.
        client.remove_from_global_cluster(GlobalClusterIdentifier=live.facts["global"],
                                          DbClusterIdentifier=live.facts["arn"])
        notes.append(f"detached from global cluster {live.facts['global']}")
    if live.facts.get("members") and live.facts.get("engine") not in _MEMBERS_GO_WITH_CLUSTER:
        started = _delete_members(client, identifier)
        if started:
            notes.append(f"deleted {started} member DB instances first")
    # No final snapshot and no retained automated backups: the data must not stay in
    # the forbidden region. RDS refuses (InvalidDBClusterStateFault) while the cluster
    # is still creating or a member is not yet deleting: the kill is then deferred
    # and a later run finishes it (the members' deletes have started by then).
    client.delete_db_cluster(DBClusterIdentifier=identifier, SkipFinalSnapshot=True,
                             DeleteAutomatedBackups=True)
    return notes + ["no final snapshot"]


def inspect_cluster_snapshot(client, identifier: str) -> Live | None:
    found = client.describe_db_cluster_snapshots(
        DBClusterSnapshotIdentifier=identifier)["DBClusterSnapshots"]
    if not found or found[0].get("Status") == "deleting":
        return None
    return Live(created=utc_iso(found[0].get("SnapshotCreateTime")))


def delete_cluster_snapshot(client, identifier: str, live: Live, force: bool) -> list[str]:
    # A snapshot still being created refuses (InvalidDBClusterSnapshotStateFault):
    # deferred. A copy still copying is cancelled by deleting it.
    client.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=identifier)
    return []


TYPES = (
    ResourceType(
        cfn_type="AWS::RDS::DBCluster",
        service="rds",
        # RDS logs the created cluster itself as the response (lowercased identifier);
        # the request's identifier is the fallback.
        events=(CreateEvent(SOURCE, "CreateDBCluster",
                            "detail.responseElements.dBClusterIdentifier"
                            " || detail.requestParameters.dBClusterIdentifier"),
                # Restores are new clusters where the call is logged; their sources
                # (snapshot, cluster, S3 bucket) are never read as targets.
                CreateEvent(SOURCE, "RestoreDBClusterFromSnapshot",
                            "detail.responseElements.dBClusterIdentifier"
                            " || detail.requestParameters.dBClusterIdentifier"),
                CreateEvent(SOURCE, "RestoreDBClusterToPointInTime",
                            "detail.responseElements.dBClusterIdentifier"
                            " || detail.requestParameters.dBClusterIdentifier"),
                CreateEvent(SOURCE, "RestoreDBClusterFromS3",
                            "detail.responseElements.dBClusterIdentifier"
                            " || detail.requestParameters.dBClusterIdentifier")),
        inspect=inspect_cluster,
        delete=delete_cluster,
        listing=Listing("describe_db_clusters", "DBClusters[]", "DBClusterIdentifier",
                        created="ClusterCreateTime"),
        actions=("rds:DescribeDBClusters", "rds:DeleteDBCluster", "rds:ModifyDBCluster",
                 "rds:DescribeDBInstances", "rds:DeleteDBInstance",
                 "rds:RemoveFromGlobalCluster"),
        not_found=("DBClusterNotFoundFault",),
        # Still creating or modifying, a member not yet deletable, or a global cluster
        # not ready to let go: retried later.
        not_ready=("InvalidDBClusterStateFault", "InvalidGlobalClusterStateFault",
                   *_INSTANCE_BUSY),
    ),
    ResourceType(
        cfn_type="AWS::RDS::DBClusterSnapshot",
        service="rds",
        # A cross-region copy is made by calling CopyDBClusterSnapshot in the
        # destination region, which logs it there: awsRegion is where it lives.
        events=(CreateEvent(SOURCE, "CreateDBClusterSnapshot",
                            "detail.responseElements.dBClusterSnapshotIdentifier"
                            " || detail.requestParameters.dBClusterSnapshotIdentifier"),
                CreateEvent(SOURCE, "CopyDBClusterSnapshot",
                            "detail.responseElements.dBClusterSnapshotIdentifier"
                            " || detail.requestParameters.targetDBClusterSnapshotIdentifier")),
        inspect=inspect_cluster_snapshot,
        delete=delete_cluster_snapshot,
        # Automated snapshots belong to their cluster and go with it.
        listing=Listing("describe_db_cluster_snapshots", "DBClusterSnapshots[]",
                        "DBClusterSnapshotIdentifier", created="SnapshotCreateTime",
                        params={"SnapshotType": "manual"}),
        actions=("rds:DescribeDBClusterSnapshots", "rds:DeleteDBClusterSnapshot"),
        not_found=("DBClusterSnapshotNotFoundFault",),
        not_ready=("InvalidDBClusterSnapshotStateFault",),
    ),
)
