"""EFS file systems (boto3 ``efs``; CloudTrail and IAM say elasticfilesystem).

A file system with mount targets refuses DeleteFileSystem (FileSystemInUse). The kill
deletes the mount targets first; that is asynchronous, so while any is still going
the file system refuses, and the kill is deferred to a later run.

Replication (issue 13). ``CreateReplicationConfiguration`` is logged in the source's
region and its response names the destination file system and its region: that
destination is a target, placed where it lands. A replication's destination
(DescribeFileSystems: REPLICATING) refuses DeleteFileSystem, so its kill first
deletes the configuration *from the destination's own region*: AWS accepts the
delete from either side ("You can delete an existing replication configuration from
either the source or the destination file system", EFS User Guide, Deleting
replication configurations) and by default (DeletionMode ALL_CONFIGURATIONS) removes
it on both. The kill never calls an allowed region (the member role would refuse:
chalicelib.iam); an EU source loses its replication, as issue 13 asks, and is itself
never touched. The configuration takes minutes to go, and the destination stays in
it meanwhile: the kill is deferred and a later run deletes the file system.
A *source* outside the allowed regions whose destination is elsewhere is not
handled here: DescribeFileSystems does not say it replicates, and moto has no
replication to check a guess against; its DeleteFileSystem fails and is reported.
"""
from __future__ import annotations

import jmespath

from chalicelib.errors import NotReady
from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, tag_dict, utc_iso

_GOING = {"deleting", "deleted"}

# CloudTrail writes EFS's REST members in lower camel case; the request and the
# response both list the destinations (one, today), the response with its file system.
_MADE = jmespath.compile("detail.responseElements.destinations")
_ASKED = jmespath.compile("detail.requestParameters.destinations")
_ACCOUNT = jmespath.compile("detail.recipientAccountId")


def _role_account(arn) -> str:
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[4] if len(parts) > 5 and parts[2] == "iam" else ""


def replication_destinations(event: dict) -> list[tuple[str, str]]:
    """(file system id, region) of each destination the replication writes to, in the
    caller's account. A destination in another account (cross-account replication
    names it by an owner id or a role in that account) is left to that account's
    scan: this event's account cannot act there. The source is never one of them."""
    account = _ACCOUNT.search(event)
    made, asked = _MADE.search(event), _ASKED.search(event)
    asked = asked if isinstance(asked, list) else []
    found = []
    for index, dest in enumerate(made if isinstance(made, list) else []):
        if not isinstance(dest, dict):
            continue
        request = asked[index] if index < len(asked) and isinstance(asked[index], dict) else {}
        owners = {dest.get("ownerId"), _role_account(dest.get("roleArn")),
                  _role_account(request.get("roleArn"))} - {None, ""}
        fs_id, region = dest.get("fileSystemId"), dest.get("region")
        if owners - {account} or not isinstance(fs_id, str) or not isinstance(region, str):
            continue
        found.append((fs_id, region))
    return found


def inspect_file_system(client, fs_id: str) -> Live | None:
    found = client.describe_file_systems(FileSystemId=fs_id)["FileSystems"]
    if not found or found[0].get("LifeCycleState") in _GOING:
        return None
    protection = (found[0].get("FileSystemProtection") or {}).get(
        "ReplicationOverwriteProtection")
    # REPLICATING: the destination of a replication (read-only, written by EFS only).
    return Live(created=utc_iso(found[0].get("CreationTime")),
                tags=tag_dict(found[0].get("Tags")),
                facts={"replicating": protection == "REPLICATING"})


def _end_replication(client, fs_id: str) -> None:
    """Delete the replication configuration ``fs_id`` is the destination of, through
    ``client``'s region, the file system's own; NotReady until it is gone."""
    try:
        found = client.describe_replication_configurations(
            FileSystemId=fs_id)["Replications"]
    except client.exceptions.ReplicationNotFound:
        return
    for config in found:
        source = config["SourceFileSystemId"]
        where = config.get("SourceFileSystemRegion", "its region")
        dests = config.get("Destinations") or []
        if dests and all(d.get("Status") == "DELETING" for d in dests):
            raise NotReady(f"the replication of {source} ({where}) is still being deleted")
        try:
            client.delete_replication_configuration(SourceFileSystemId=source)
        except client.exceptions.ReplicationNotFound:
            continue  # gone between the describe and the delete
        raise NotReady(f"replication of {source} ({where}) deleted from "
                       f"{client.meta.region_name}; the file system follows once it "
                       "has left the replication (minutes)")


def _delete_mount_targets(client, fs_id: str) -> int:
    pages = client.get_paginator("describe_mount_targets").paginate(FileSystemId=fs_id)
    deleted = 0
    for target in (t for page in pages for t in page.get("MountTargets", [])):
        if target.get("LifeCycleState") in _GOING:
            continue
        try:
            client.delete_mount_target(MountTargetId=target["MountTargetId"])
            deleted += 1
        except client.exceptions.MountTargetNotFound:
            pass  # gone between the describe and the delete
    return deleted


def delete_file_system(client, fs_id: str, live: Live, force: bool) -> list[str]:
    if live.facts.get("replicating"):
        _end_replication(client, fs_id)
    deleted = _delete_mount_targets(client, fs_id)
    # FileSystemInUse (deferred) until the mount targets are really gone.
    client.delete_file_system(FileSystemId=fs_id)
    return [f"{deleted} mount targets deleted"] if deleted else []


TYPES = (
    ResourceType(
        cfn_type="AWS::EFS::FileSystem",
        service="efs",
        events=(CreateEvent("elasticfilesystem.amazonaws.com", "CreateFileSystem",
                            "detail.responseElements.fileSystemId"),
                # The destination of a replication, where it lands (see above).
                CreateEvent("elasticfilesystem.amazonaws.com",
                            "CreateReplicationConfiguration",
                            "detail.responseElements.destinations[].fileSystemId",
                            place=replication_destinations)),
        inspect=inspect_file_system,
        delete=delete_file_system,
        listing=Listing("describe_file_systems", "FileSystems[]", "FileSystemId",
                        created="CreationTime"),
        actions=("elasticfilesystem:DescribeFileSystems",
                 "elasticfilesystem:DescribeMountTargets",
                 "elasticfilesystem:DeleteMountTarget",
                 "elasticfilesystem:DeleteFileSystem",
                 "elasticfilesystem:DescribeReplicationConfigurations",
                 "elasticfilesystem:DeleteReplicationConfiguration"),
        not_found=("FileSystemNotFound",),
        # Mount targets still going, or the file system still being created.
        not_ready=("FileSystemInUse", "IncorrectFileSystemLifeCycleState"),
    ),
)
