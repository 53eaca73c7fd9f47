"""EC2 import tasks and FPGA images: moto has neither, so they are tested with
botocore's Stubber (tests/test_stubbed_ec2_imports.py)."""
from __future__ import annotations

ACCOUNT = "123456789012"

STUBBED = {"AWS::EC2::ImportImageTask", "AWS::EC2::ImportSnapshotTask",
           "AWS::EC2::FpgaImage"}

PAGES = {
    "AWS::EC2::ImportImageTask": lambda n: {"ImportImageTasks": [{
        "ImportTaskId": n, "Description": "orders-db server", "Progress": "28",
        "Status": "active", "StatusMessage": "converting",
        "SnapshotDetails": [{"DiskImageSize": 705638400.0, "Format": "VMDK",
                             "UserBucket": {"S3Bucket": "exports", "S3Key": "db.vmdk"}}]}]},
    "AWS::EC2::ImportSnapshotTask": lambda n: {"ImportSnapshotTasks": [{
        "ImportTaskId": n, "Description": "orders data disk",
        "SnapshotTaskDetail": {"DiskImageSize": 1073741824.0, "Format": "VHD",
                               "Progress": "41", "Status": "active",
                               "StatusMessage": "downloading/converting",
                               "UserBucket": {"S3Bucket": "exports", "S3Key": "data.vhd"}}}]},
    "AWS::EC2::FpgaImage": lambda n: {"FpgaImages": [{
        "FpgaImageId": n, "FpgaImageGlobalId": f"agfi-{n}", "Name": "video-codec",
        "ShellVersion": "0x04261818", "State": {"Code": "available"},
        "CreateTime": "2026-11-29T11:08:50Z", "OwnerId": ACCOUNT, "Public": False}]},
}
