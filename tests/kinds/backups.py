"""FSx backups (in moto) and CloudHSM backups (moto has no DeleteBackup nor
CopyBackupToRegion: tests/test_backup_copies.py plays them with botocore's Stubber)."""
from __future__ import annotations

import boto3

ACCOUNT = "123456789012"


def create_fsx_backup(trail, region, protect=False):
    fsx = boto3.client("fsx", region)
    file_system = fsx.create_file_system(FileSystemType="LUSTRE", StorageCapacity=1200,
                                         SubnetIds=["subnet-0a1b2c3d"])["FileSystem"]
    return trail.call(fsx, "create_backup",
                      FileSystemId=file_system["FileSystemId"])["Backup"]["BackupId"]


def fsx_backup_exists(region, backup_id):
    found = boto3.client("fsx", region).describe_backups(BackupIds=[backup_id])["Backups"]
    return bool(found) and found[0].get("Lifecycle") != "DELETED"


KINDS = {"AWS::FSx::Backup": (create_fsx_backup, fsx_backup_exists)}

STUBBED = {"AWS::CloudHSM::Backup"}

PAGES = {
    "AWS::FSx::Backup": lambda n: {"Backups": [{
        "BackupId": n, "Lifecycle": "AVAILABLE", "Type": "USER_INITIATED",
        "CreationTime": "2026-11-29T11:02:11Z",
        "ResourceARN": f"arn:aws:fsx:us-west-2:{ACCOUNT}:backup/{n}", "OwnerId": ACCOUNT,
        "ResourceType": "FILE_SYSTEM",
        "FileSystem": {"FileSystemId": "fs-0123456789abcdef0", "FileSystemType": "LUSTRE"}}]},
    "AWS::CloudHSM::Backup": lambda n: {"Backups": [{
        "BackupId": n, "BackupArn": f"arn:aws:cloudhsm:us-west-2:{ACCOUNT}:backup/{n}",
        "BackupState": "READY", "ClusterId": "cluster-jxhlf7644ne",
        "CreateTimestamp": "2026-11-30T02:00:04Z", "NeverExpires": False,
        "HsmType": "hsm2m.medium", "Mode": "FIPS"}]},
}
