"""What AWS Backup restores (StartRestoreJob) is a new resource where the recovery
point is: Backup creates it with the service's own call (EC2 CreateVolume, RDS
RestoreDBInstanceFromDBSnapshot, ...) made with the restore role passed in the
request ("the IAM role that Backup uses to create the target resource", Backup API
reference), so CloudTrail logs that call there, and the type that owns it kills it.
StartRestoreJob itself needs no type: it restores in its own region only, a region
where a recovery point outside the EU is already the vault type's to kill.

The records below are CreateVolume and RestoreDBInstanceFromDBSnapshot samples with
the identity a call made through the restore role carries (an assumed role, invoked
by backup.amazonaws.com): built, not recorded (docs/cloudtrail-shapes.md)."""
from __future__ import annotations

import copy

import pytest

from chalicelib import reaper
from chalicelib.config import Settings
from conftest import load_event
from kinds import KINDS

ACCOUNT = "123456789012"
create_volume, volume_exists = KINDS["AWS::EC2::Volume"]


def by_backup(event: dict) -> dict:
    """The record as made by AWS Backup with the restore role."""
    event = copy.deepcopy(event)
    event["detail"]["userIdentity"] = {
        "type": "AssumedRole",
        "principalId": "AROAXYZEXAMPLEBACKUP1:AWSBackup-AWSBackupDefaultServiceRole",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSBackupDefaultServiceRole/"
               "AWSBackup-AWSBackupDefaultServiceRole",
        "accountId": ACCOUNT,
        "sessionContext": {"sessionIssuer": {
            "type": "Role", "principalId": "AROAXYZEXAMPLEBACKUP1",
            "arn": f"arn:aws:iam::{ACCOUNT}:role/service-role/AWSBackupDefaultServiceRole",
            "accountId": ACCOUNT, "userName": "AWSBackupDefaultServiceRole"}},
        "invokedBy": "backup.amazonaws.com"}
    event["detail"]["sourceIPAddress"] = "backup.amazonaws.com"
    event["detail"]["userAgent"] = "backup.amazonaws.com"
    return event


@pytest.mark.parametrize("sample, cfn_type", [
    ("ec2.CreateVolume", "AWS::EC2::Volume"),
    ("rds.RestoreDBInstanceFromDBSnapshot", "AWS::RDS::DBInstance")])
def test_a_restore_outside_the_eu_is_judged_like_any_create(sample, cfn_type):
    plain = reaper.explain(load_event(sample), Settings())
    restored = reaper.explain(by_backup(load_event(sample)), Settings())
    assert restored == plain
    # Both samples are logged in us-east-1: who made the call changes nothing.
    assert [(t["type"], t["region"]) for t in restored["targets"]] == [(cfn_type, "us-east-1")]
    assert restored["decision"] == "kill"


def test_the_volume_a_restore_made_outside_the_eu_is_killed_its_eu_twin_spared(
        aws, trail, kill_settings, clients):
    out = create_volume(trail, "us-east-1")
    [killed] = reaper.reap(by_backup(trail.events[-1]), kill_settings, clients)
    eu = create_volume(trail, "eu-central-1")
    [spared] = reaper.reap(by_backup(trail.events[-1]), kill_settings, clients)
    assert (killed.action, killed.id) == (reaper.KILLED, out)
    assert killed.creator.endswith("assumed-role/AWSBackupDefaultServiceRole/"
                                   "AWSBackup-AWSBackupDefaultServiceRole")
    assert not volume_exists("us-east-1", out)
    assert (spared.action, spared.id) == (reaper.SPARED, eu)
    assert volume_exists("eu-central-1", eu)


def test_start_restore_job_itself_is_not_forwarded_nor_counted_as_data_moving():
    from chalicelib import dataflow_coverage, pattern

    assert not pattern.is_create_style("StartRestoreJob")
    assert ("backup.amazonaws.com", "StartRestoreJob") not in pattern.CROSS_REGION_CALLS
    assert "StartRestoreJob" not in {o.operation for o in dataflow_coverage.measure()}
