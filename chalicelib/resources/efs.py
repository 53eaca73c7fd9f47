"""EFS file systems (boto3 ``efs``; CloudTrail and IAM say elasticfilesystem).

A file system with mount targets refuses DeleteFileSystem (FileSystemInUse). The kill
deletes the mount targets first; that is asynchronous, so while any is still going
the file system refuses, and the kill is deferred to a later run.
"""
from __future__ import annotations

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, tag_dict, utc_iso

_GOING = {"deleting", "deleted"}


def inspect_file_system(client, fs_id: str) -> Live | None:
    found = client.describe_file_systems(FileSystemId=fs_id)["FileSystems"]
    if not found or found[0].get("LifeCycleState") in _GOING:
        return None
    return Live(created=utc_iso(found[0].get("CreationTime")),
                tags=tag_dict(found[0].get("Tags")))


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
    deleted = _delete_mount_targets(client, fs_id)
    # FileSystemInUse (deferred) until the mount targets are really gone.
    client.delete_file_system(FileSystemId=fs_id)
    return [f"{deleted} mount targets deleted"] if deleted else []


TYPES = (
    ResourceType(
        cfn_type="AWS::EFS::FileSystem",
        service="efs",
        events=(CreateEvent("elasticfilesystem.amazonaws.com", "CreateFileSystem",
                            "detail.responseElements.fileSystemId"),),
        inspect=inspect_file_system,
        delete=delete_file_system,
        listing=Listing("describe_file_systems", "FileSystems[]", "FileSystemId",
                        created="CreationTime"),
        actions=("elasticfilesystem:DescribeFileSystems",
                 "elasticfilesystem:DescribeMountTargets",
                 "elasticfilesystem:DeleteMountTarget",
                 "elasticfilesystem:DeleteFileSystem"),
        not_found=("FileSystemNotFound",),
        # Mount targets still going, or the file system still being created.
        not_ready=("FileSystemInUse", "IncorrectFileSystemLifeCycleState"),
    ),
)
