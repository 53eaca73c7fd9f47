"""What a kill leaves in a bin, brought back: an AMI, a snapshot or a volume restored
from EC2's Recycle Bin, a CloudHSM backup restored while pending deletion. Each is
the same resource again, where it was, and is killed again there; the same call in
the EU is spared. moto has none of the restore calls: the restored resource is made
in moto and the recorded event names it (CloudHSM with botocore's Stubber)."""
from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib import reaper
from chalicelib.config import Settings
from conftest import OneClient, load_event
from kinds import KINDS

US, EU = "us-east-1", "eu-central-1"

RESTORES = [
    # (event, type, where the restored id is written in the record)
    ("ec2.RestoreImageFromRecycleBin", "AWS::EC2::Image", [("requestParameters", "imageId")]),
    ("ec2.RestoreSnapshotFromRecycleBin", "AWS::EC2::Snapshot",
     [("requestParameters", "snapshotId"), ("responseElements", "snapshotId")]),
    ("ec2.RestoreVolumeFromRecycleBin", "AWS::EC2::Volume", [("requestParameters", "volumeId")]),
]


def _naming(name: str, fields, resource_id: str, region: str) -> dict:
    event = load_event(name)
    event["region"] = event["detail"]["awsRegion"] = region
    for part, key in fields:
        event["detail"][part][key] = resource_id
    return event


@pytest.mark.parametrize("name, cfn_type, fields", RESTORES, ids=[r[0] for r in RESTORES])
def test_a_resource_restored_from_the_bin_outside_the_eu_is_killed_again(
        aws, trail, kill_settings, clients, name, cfn_type, fields):
    create, exists = KINDS[cfn_type]
    restored = create(trail, US)
    [outcome] = reaper.reap(_naming(name, fields, restored, US), kill_settings, clients)
    assert (outcome.type, outcome.action, outcome.id) == (cfn_type, reaper.KILLED, restored)
    assert not exists(US, restored)


@pytest.mark.parametrize("name, cfn_type, fields", RESTORES, ids=[r[0] for r in RESTORES])
def test_a_resource_restored_from_the_bin_in_the_eu_is_spared(
        aws, trail, kill_settings, clients, name, cfn_type, fields):
    create, exists = KINDS[cfn_type]
    restored = create(trail, EU)
    [outcome] = reaper.reap(_naming(name, fields, restored, EU), kill_settings, clients)
    assert (outcome.action, outcome.region) == (reaper.SPARED, EU)
    assert exists(EU, restored)


def test_a_cloudhsm_backup_restored_from_pending_deletion_is_deleted_again():
    backup = "backup-2ndmzq3hbfa"
    hsm = boto3.client("cloudhsmv2", US)
    with Stubber(hsm) as stub:
        stub.add_response("describe_backups", {"Backups": [{
            "BackupId": backup, "BackupState": "READY", "ClusterId": "cluster-igklspoyj5v",
            "CreateTimestamp": "2026-11-30T02:00:04Z", "SourceRegion": EU,
            "SourceBackup": "backup-k7fgqmjx4rz", "CopyTimestamp": "2026-12-01T09:12:41Z"}]},
            {"Filters": {"backupIds": [backup]}})
        stub.add_response("delete_backup", {"Backup": {"BackupId": backup,
                                                       "BackupState": "PENDING_DELETION"}},
                          {"BackupId": backup})
        [outcome] = reaper.reap(load_event("cloudhsm.RestoreBackup"), Settings(dry_run=False),
                                OneClient(hsm))
        stub.assert_no_pending_responses()
    assert (outcome.action, outcome.id, outcome.region) == (reaper.KILLED, backup, US)
    # Its source in the EU is named in the record, never a target.
    assert "backup-k7fgqmjx4rz" not in str(
        reaper.explain(load_event("cloudhsm.RestoreBackup"), Settings())["targets"])
