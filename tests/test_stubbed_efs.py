"""EFS where moto cannot tell: it deletes mount targets at once. In AWS their deletion
takes a while and the file system refuses until they are gone, so the first kill is
deferred. botocore's Stubber plays EFS with the real response shapes."""
from __future__ import annotations

import datetime

import boto3
from botocore.stub import Stubber

from chalicelib import reaper
from chalicelib.config import Settings
from conftest import OneClient, load_event

FS = "fs-0a1b2c3d4e5f60718"
WHEN = datetime.datetime(2026, 11, 29, 12, 20, 33, tzinfo=datetime.timezone.utc)
KILL = Settings(dry_run=False)


def _describe(stub) -> None:
    stub.add_response("describe_file_systems", {"FileSystems": [{
        "OwnerId": "123456789012", "CreationToken": "shared-models-7c1f", "FileSystemId": FS,
        "CreationTime": WHEN, "LifeCycleState": "available", "NumberOfMountTargets": 2,
        "SizeInBytes": {"Value": 6144}, "PerformanceMode": "generalPurpose", "Tags": []}]},
        {"FileSystemId": FS})


def _mount_target(target_id: str, state: str) -> dict:
    return {"MountTargetId": target_id, "FileSystemId": FS, "SubnetId": "subnet-0a9b8c7d6e5f40312",
            "LifeCycleState": state, "OwnerId": "123456789012"}


def test_mount_targets_are_deleted_first_and_the_kill_waits_for_them():
    efs = boto3.client("efs", "ap-southeast-1")
    with Stubber(efs) as stub:
        _describe(stub)
        stub.add_response("describe_mount_targets", {"MountTargets": [
            _mount_target("fsmt-0a1b2c3d4e5f60718", "available"),
            _mount_target("fsmt-0a1b2c3d4e5f60719", "deleting")]}, {"FileSystemId": FS})
        stub.add_response("delete_mount_target", {}, {"MountTargetId": "fsmt-0a1b2c3d4e5f60718"})
        stub.add_client_error("delete_file_system", "FileSystemInUse",
                              "File system 'fs-0a1b2c3d4e5f60718' has mount targets", 409,
                              expected_params={"FileSystemId": FS})
        [outcome] = reaper.reap(load_event("elasticfilesystem.CreateFileSystem"), KILL,
                                OneClient(efs))
        stub.assert_no_pending_responses()
    assert (outcome.action, outcome.id) == (reaper.DEFERRED, FS)


def test_a_later_run_deletes_the_file_system():
    efs = boto3.client("efs", "ap-southeast-1")
    with Stubber(efs) as stub:
        _describe(stub)
        stub.add_response("describe_mount_targets", {"MountTargets": []}, {"FileSystemId": FS})
        stub.add_response("delete_file_system", {}, {"FileSystemId": FS})
        [outcome] = reaper.reap(load_event("elasticfilesystem.CreateFileSystem"), KILL,
                                OneClient(efs))
        stub.assert_no_pending_responses()
    assert outcome.action == reaper.KILLED


def test_the_eu_twin_is_spared_without_a_call():
    event = load_event("elasticfilesystem.CreateFileSystem")
    event["detail"]["awsRegion"] = "eu-central-1"
    efs = boto3.client("efs", "eu-central-1")
    with Stubber(efs):  # no response queued: any call would fail the test
        [outcome] = reaper.reap(event, KILL, OneClient(efs))
    assert outcome.action == reaper.SPARED
