"""EBS snapshots and AMIs (see kinds/__init__.py for the contract; moto's OwnerIds
is corrected in chalicelib/moto_fixes.py)."""
from __future__ import annotations

import boto3
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
SEEDED_AMI = "ami-12c6146b"  # one of the AMIs moto ships in every region




def create_snapshot(trail, region, protect=False):
    ec2 = boto3.client("ec2", region)
    volume = ec2.create_volume(AvailabilityZone=f"{region}a", Size=1)["VolumeId"]
    return trail.call(ec2, "create_snapshot", VolumeId=volume,
                      Description="before upgrade")["SnapshotId"]


def snapshot_exists(region, snapshot_id):
    try:
        boto3.client("ec2", region).describe_snapshots(SnapshotIds=[snapshot_id])
        return True
    except ClientError:
        return False


def create_image(trail, region, protect=False):
    # moto has no deregistration protection; the Stubber tests cover it.
    ec2 = boto3.client("ec2", region)
    instance = ec2.run_instances(ImageId=SEEDED_AMI, MinCount=1,
                                 MaxCount=1)["Instances"][0]["InstanceId"]
    return trail.call(ec2, "create_image", InstanceId=instance, Name="golden",
                      NoReboot=True)["ImageId"]


def image_exists(region, image_id):
    try:
        found = boto3.client("ec2", region).describe_images(ImageIds=[image_id])["Images"]
    except ClientError:
        return False
    return bool(found) and found[0]["State"] != "deregistered"


def image_snapshots(region, image_id):
    """The snapshots an AMI's block device mappings name."""
    image = boto3.client("ec2", region).describe_images(ImageIds=[image_id])["Images"][0]
    return [m["Ebs"]["SnapshotId"] for m in image["BlockDeviceMappings"] if "Ebs" in m]


KINDS = {
    "AWS::EC2::Snapshot": (create_snapshot, snapshot_exists),
    "AWS::EC2::Image": (create_image, image_exists),
}

PAGES = {
    "AWS::EC2::Snapshot": lambda n: {"Snapshots": [{
        "SnapshotId": n, "VolumeId": "vol-0f1e2d3c4b5a69788", "State": "completed",
        "StartTime": "2026-11-29T11:02:11Z", "Progress": "100%", "OwnerId": ACCOUNT,
        "VolumeSize": 20, "Encrypted": False}]},
    "AWS::EC2::Image": lambda n: {"Images": [{
        "ImageId": n, "Name": f"golden-{n}", "State": "available", "OwnerId": ACCOUNT,
        "CreationDate": "2026-11-29T11:08:50.000Z", "Public": False,
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda",
                                 "Ebs": {"SnapshotId": "snap-0a1b2c3d4e5f60718"}}]}]},
}
