"""Redshift manual cluster snapshots (``AWS::Redshift::ClusterSnapshot``; CloudFormation
has no such type, the name follows AWS::RDS::DBSnapshot's).

A manual snapshot outlives its cluster (Redshift never deletes one), so a warehouse
killed outside the EU would leave its data in one. Manual snapshots outside the
allowed regions come from CreateClusterSnapshot, CopyClusterSnapshot (an automated
snapshot kept as a manual one), and from an EU cluster's cross-region snapshot copy
(EnableSnapshotCopy, issue 13): its manual snapshots land in the destination region
as manual snapshots there (``SourceRegion`` says where from), which the nightly scan
lists and kills here, in the destination region; the EU cluster and its copy set-up
are never touched (the set-up is reported as a data flow, chalicelib.dataflow).

Copied *automated* snapshots are not handled: only Redshift deletes an automated
snapshot (DeleteClusterSnapshot "deletes the specified manual snapshot"; the
Management Guide: you cannot delete them manually). They expire after the copy's
retention period (EnableSnapshotCopy's RetentionPeriod, 7 days by default), which
only a call on the EU source cluster can shorten. The listing asks for manual
snapshots only, and the live check spares an automated one it is pointed at.

A snapshot shared with other accounts refuses the delete until their restore
access is revoked: the kill revokes it first (in the snapshot's region).
"""
from __future__ import annotations

from chalicelib import text
from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, tag_dict, utc_iso

SOURCE = "redshift.amazonaws.com"


def inspect_snapshot(client, identifier: str) -> Live | None:
    found = client.describe_cluster_snapshots(SnapshotIdentifier=identifier)["Snapshots"]
    if not found or found[0].get("Status", "").lower() == "deleted":
        return None
    snapshot = found[0]
    keep = None
    if snapshot.get("SnapshotType") != "manual":
        keep = (f"a {snapshot.get('SnapshotType', 'non-manual')} snapshot: only Redshift "
                "deletes it, when its retention period ends")
    shared = [a["AccountId"] for a in snapshot.get("AccountsWithRestoreAccess") or []
              if a.get("AccountId")]
    return Live(created=utc_iso(snapshot.get("SnapshotCreateTime")),
                tags=tag_dict(snapshot.get("Tags")), keep=keep,
                facts={"cluster": snapshot.get("ClusterIdentifier"), "shared": shared})


def delete_snapshot(client, identifier: str, live: Live, force: bool) -> list[str]:
    cluster = {"SnapshotClusterIdentifier": live.facts["cluster"]} \
        if live.facts.get("cluster") else {}
    for account in live.facts.get("shared", []):
        try:
            client.revoke_snapshot_access(SnapshotIdentifier=identifier,
                                          AccountWithRestoreAccess=account, **cluster)
        except client.exceptions.AuthorizationNotFoundFault:
            pass  # revoked already
    # InvalidClusterSnapshotState (deferred) while it is still being created.
    client.delete_cluster_snapshot(SnapshotIdentifier=identifier, **cluster)
    shared = live.facts.get("shared", [])
    return [f"restore access revoked from {text.count(len(shared), 'account')}"] \
        if shared else []


TYPES = (
    ResourceType(
        cfn_type="AWS::Redshift::ClusterSnapshot",
        service="redshift",
        # CloudTrail flattens the snapshot into responseElements (as CreateCluster's).
        events=(CreateEvent(SOURCE, "CreateClusterSnapshot",
                            "detail.responseElements.snapshotIdentifier"
                            " || detail.requestParameters.snapshotIdentifier"),
                CreateEvent(SOURCE, "CopyClusterSnapshot",
                            "detail.responseElements.snapshotIdentifier"
                            " || detail.requestParameters.targetSnapshotIdentifier")),
        inspect=inspect_snapshot,
        delete=delete_snapshot,
        # Automated snapshots (copied ones too) cannot be deleted: not listed.
        listing=Listing("describe_cluster_snapshots", "Snapshots[]", "SnapshotIdentifier",
                        created="SnapshotCreateTime", params={"SnapshotType": "manual"}),
        actions=("redshift:DescribeClusterSnapshots", "redshift:DeleteClusterSnapshot",
                 "redshift:RevokeSnapshotAccess"),
        not_found=("ClusterSnapshotNotFound",),
        not_ready=("InvalidClusterSnapshotState",),
    ),
)
