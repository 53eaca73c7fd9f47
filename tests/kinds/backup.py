"""AWS Backup vaults (see kinds/__init__.py for the contract). moto 5 makes vaults
(and their locks) but no recovery points and no copy jobs: a vault here is empty, and
emptying one, the locks and StartCopyJob are tested with botocore's Stubber
(tests/test_stubbed_backup.py)."""
from __future__ import annotations

import datetime
import uuid

import boto3
from botocore.exceptions import ClientError

VAULT = "AWS::Backup::BackupVault"


def create_vault(trail, region, protect=False):
    backup = boto3.client("backup", region)
    name = f"dr-copies-{uuid.uuid4().hex[:8]}"
    trail.call(backup, "create_backup_vault", BackupVaultName=name)
    if protect:
        # Governance mode (no ChangeableForDays): a lock the kill may remove.
        backup.put_backup_vault_lock_configuration(BackupVaultName=name, MinRetentionDays=7)
    return name


def vault_exists(region, name):
    try:
        boto3.client("backup", region).describe_backup_vault(BackupVaultName=name)
        return True
    except ClientError:
        return False


KINDS = {VAULT: (create_vault, vault_exists)}

PAGES = {VAULT: lambda n: {"BackupVaultList": [{
    "BackupVaultName": n, "BackupVaultArn": f"arn:aws:backup:us-west-2:123456789012:backup-vault:{n}",
    "VaultType": "BACKUP_VAULT", "VaultState": "AVAILABLE",
    "CreationDate": datetime.datetime(2026, 11, 29, 11, 12, 5, tzinfo=datetime.timezone.utc),
    "EncryptionKeyArn": "arn:aws:kms:us-west-2:123456789012:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "CreatorRequestId": "", "NumberOfRecoveryPoints": 0, "Locked": False}]}}
