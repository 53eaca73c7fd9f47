"""AMI deregistration protection, which moto does not implement: botocore's Stubber
plays EC2 with the real response shapes, through the reaper's own decision."""
from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib import reaper
from chalicelib.config import Settings
from chalicelib.events import Target
from conftest import OneClient

IMAGE, SNAPSHOT = "ami-0c1d2e3f4a5b69788", "snap-0a1b2c3d4e5f60718"
# DisableImageDeregistrationProtection answers its Return as text, DeregisterImage not.
RESPONSES = {"disable_image_deregistration_protection": {"Return": "true"},
             "deregister_image": {"Return": True}, "delete_snapshot": {}}
TARGET = Target("AWS::EC2::Image", IMAGE, "us-east-1", "123456789012", "ec2:CreateImage")


def _described(protection: str) -> dict:
    return {"Images": [{
        "ImageId": IMAGE, "Name": "golden", "State": "available", "OwnerId": "123456789012",
        "CreationDate": "2026-11-29T11:08:50.000Z", "DeregistrationProtection": protection,
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda",
                                 "Ebs": {"SnapshotId": SNAPSHOT, "VolumeSize": 8}}]}]}


def _decide(settings, answers):
    ec2 = boto3.client("ec2", "us-east-1")
    with Stubber(ec2) as stub:
        stub.add_response("describe_images", _described(answers[0]),
                          {"ImageIds": [IMAGE], "IncludeDisabled": True})
        for method, params in answers[1:]:
            stub.add_response(method, RESPONSES[method], params)
        outcome = reaper.handle(TARGET, settings, OneClient(ec2))
        stub.assert_no_pending_responses()
    return outcome


def test_a_protected_ami_is_unprotected_deregistered_and_its_snapshot_deleted():
    outcome = _decide(Settings(dry_run=False, force=True), [
        "enabled-without-cooldown",
        ("disable_image_deregistration_protection", {"ImageId": IMAGE}),
        ("deregister_image", {"ImageId": IMAGE}),
        ("delete_snapshot", {"SnapshotId": SNAPSHOT})])
    assert outcome.action == reaper.KILLED
    assert outcome.notes == ["deregistration protection disabled",
                             "deleted its 1 EBS snapshot"]


def test_without_force_a_protected_ami_is_spared_and_untouched():
    outcome = _decide(Settings(dry_run=False, force=False), ["enabled-without-cooldown"])
    assert outcome.action == reaper.SPARED
    assert "MONOCYTE_FORCE is off" in outcome.reason


@pytest.mark.parametrize("answers", [
    # Disabling starts the 24-hour cooldown; the scan deregisters it afterwards.
    ["enabled-with-cooldown",
     ("disable_image_deregistration_protection", {"ImageId": IMAGE})],
    ["disabled-until-2026-11-30T11:08:50.000Z"],
])
def test_an_ami_in_its_protection_cooldown_is_deferred(answers):
    outcome = _decide(Settings(dry_run=False, force=True), answers)
    assert outcome.action == reaper.DEFERRED
    assert "cooldown" in outcome.reason
