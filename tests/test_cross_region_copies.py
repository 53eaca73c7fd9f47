"""Copies made across regions, and what an AMI takes with it, against moto.

A copy call is made in the destination region and names its source in another: the
copy outside the EU is killed, its EU source survives; an EU copy of a source outside
the EU is spared (the source is its own target, from its own create event). An AMI's
kill deregisters it and deletes the EBS snapshots it holds.
"""
from __future__ import annotations

import boto3
import pytest

from chalicelib import reaper, scan
from chalicelib.aws import Clients
from chalicelib.config import Settings
from conftest import load_event
from kinds import KINDS
from kinds.ec2_images import SEEDED_AMI, image_snapshots

EU, US = "eu-central-1", "us-east-1"
create_snapshot, snapshot_exists = KINDS["AWS::EC2::Snapshot"]
create_image, image_exists = KINDS["AWS::EC2::Image"]


def _reap_last(trail, settings, clients):
    return reaper.reap(trail.events[-1], settings, clients)


def _snapshot(region):
    ec2 = boto3.client("ec2", region)
    volume = ec2.create_volume(AvailabilityZone=f"{region}a", Size=1)["VolumeId"]
    return ec2.create_snapshot(VolumeId=volume)["SnapshotId"]


def _image(region):
    ec2 = boto3.client("ec2", region)
    instance = ec2.run_instances(ImageId=SEEDED_AMI, MinCount=1,
                                 MaxCount=1)["Instances"][0]["InstanceId"]
    return ec2.create_image(InstanceId=instance, Name="golden")["ImageId"]


def _copy_snapshot(trail, source, destination, source_id):
    ec2 = boto3.client("ec2", destination)
    return trail.call(ec2, "copy_snapshot", SourceRegion=source, SourceSnapshotId=source_id,
                      Description="dr copy")["SnapshotId"]


def _copy_image(trail, source, destination, source_id):
    ec2 = boto3.client("ec2", destination)
    return trail.call(ec2, "copy_image", SourceRegion=source, SourceImageId=source_id,
                      Name="golden-copy")["ImageId"]


def test_the_recorded_copies_target_the_copy_not_the_source():
    for name, copy, source in [("ec2.CopySnapshot", "snap-01b2c3d4e5f607182",
                                "snap-0e0d0c0b0a0908070"),
                               ("ec2.CopyImage", "ami-0d2e3f4a5b6c78899",
                                "ami-0e1f2a3b4c5d60718")]:
        verdict = reaper.explain(load_event(name), Settings())
        assert [(t["id"], t["region"], t["decision"]) for t in verdict["targets"]] == [
            (copy, US, "kill")]
        assert source not in str(verdict["targets"])


def test_a_us_copy_of_an_eu_snapshot_is_killed_and_the_source_survives(
        aws, trail, kill_settings, clients):
    source = _snapshot(EU)
    copy = _copy_snapshot(trail, EU, US, source)
    assert trail.events[-1]["detail"]["requestParameters"]["sourceSnapshotId"] == source
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert (outcome.action, outcome.id, outcome.region) == (reaper.KILLED, copy, US)
    assert not snapshot_exists(US, copy)
    assert snapshot_exists(EU, source)


def test_an_eu_copy_of_a_us_snapshot_is_spared(aws, trail, kill_settings, clients):
    source = _snapshot(US)
    copy = _copy_snapshot(trail, US, EU, source)
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert (outcome.action, outcome.id, outcome.region) == (reaper.SPARED, copy, EU)
    assert snapshot_exists(EU, copy)


def test_a_us_copy_of_an_eu_ami_is_killed_with_its_snapshots_and_the_source_survives(
        aws, trail, kill_settings, clients):
    source = _image(EU)
    source_snapshots = image_snapshots(EU, source)
    copy = _copy_image(trail, EU, US, source)
    copy_snapshots = image_snapshots(US, copy)
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert (outcome.action, outcome.id, outcome.region) == (reaper.KILLED, copy, US)
    assert "deleted its 1 EBS snapshot" in outcome.notes
    assert not image_exists(US, copy)
    assert not any(snapshot_exists(US, s) for s in copy_snapshots)
    assert image_exists(EU, source)
    assert all(snapshot_exists(EU, s) for s in source_snapshots)


def test_an_eu_copy_of_a_us_ami_is_spared(aws, trail, kill_settings, clients):
    source = _image(US)
    copy = _copy_image(trail, US, EU, source)
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert (outcome.action, outcome.id, outcome.region) == (reaper.SPARED, copy, EU)
    assert image_exists(EU, copy)


def test_an_ami_kill_deletes_the_snapshots_it_holds(aws, trail, kill_settings, clients):
    image = create_image(trail, US)
    snapshots = image_snapshots(US, image)
    assert snapshots and all(snapshot_exists(US, s) for s in snapshots)
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert outcome.action == reaper.KILLED
    assert not image_exists(US, image)
    assert not any(snapshot_exists(US, s) for s in snapshots)


def test_a_snapshot_that_backs_an_ami_is_deferred_until_the_ami_goes(
        aws, trail, kill_settings, clients):
    from chalicelib.events import Target

    image = create_image(trail, US)
    ami_event = trail.events[-1]
    [snapshot] = image_snapshots(US, image)
    alone = Target("AWS::EC2::Snapshot", snapshot, US, "123456789012", "scan")
    first = reaper.handle(alone, kill_settings, clients)
    assert first.action == reaper.DEFERRED and "InvalidSnapshot.InUse" in first.reason
    assert snapshot_exists(US, snapshot)
    [ami] = reaper.reap(ami_event, kill_settings, clients)
    assert ami.action == reaper.KILLED
    assert reaper.handle(alone, kill_settings, clients).action == reaper.GONE


def test_a_registered_ami_is_killed(aws, trail, kill_settings, clients):
    ec2 = boto3.client("ec2", US)
    snapshot = _snapshot(US)
    image = trail.call(ec2, "register_image", Name="from-snapshot", RootDeviceName="/dev/xvda",
                       VirtualizationType="hvm", Architecture="x86_64",
                       BlockDeviceMappings=[{"DeviceName": "/dev/xvda",
                                             "Ebs": {"SnapshotId": snapshot}}])["ImageId"]
    [outcome] = _reap_last(trail, kill_settings, clients)
    assert (outcome.action, outcome.id) == (reaper.KILLED, image)
    assert not image_exists(US, image)


def test_every_snapshot_of_a_multi_volume_call_is_killed(aws, trail, kill_settings, clients):
    ec2 = boto3.client("ec2", US)
    instance = ec2.run_instances(ImageId=SEEDED_AMI, MinCount=1,
                                 MaxCount=1)["Instances"][0]["InstanceId"]
    data = ec2.create_volume(AvailabilityZone=f"{US}a", Size=1)["VolumeId"]
    ec2.attach_volume(VolumeId=data, InstanceId=instance, Device="/dev/sdf")
    reply = trail.call(ec2, "create_snapshots", InstanceSpecification={"InstanceId": instance})
    # moto spells the list as botocore does; CloudTrail as EC2's XML does (snapshotSet).
    answer = trail.events[-1]["detail"]["responseElements"]
    answer["snapshotSet"] = answer.pop("snapshotsSet")
    made = sorted(s["SnapshotId"] for s in reply["Snapshots"])
    outcomes = _reap_last(trail, kill_settings, clients)
    assert len(made) == 2
    assert sorted((o.id, o.action) for o in outcomes) == [(s, reaper.KILLED) for s in made]


@pytest.mark.parametrize("kind", ["snapshot", "image"])
def test_the_scan_kills_us_copies_and_keeps_their_eu_sources(kind, aws, trail):
    make, copy, exists = {"snapshot": (_snapshot, _copy_snapshot, snapshot_exists),
                          "image": (_image, _copy_image, image_exists)}[kind]
    source = make(EU)
    copies = [copy(trail, EU, US, source) for _ in range(2)]
    settings = Settings(dry_run=False)
    cfn_type = "AWS::EC2::Snapshot" if kind == "snapshot" else "AWS::EC2::Image"
    report = scan.scan(settings, Clients(settings), regions=[US, EU], types=[cfn_type])
    assert report.ok
    assert not any(exists(US, c) for c in copies)
    assert exists(EU, source)
