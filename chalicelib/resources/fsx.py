"""FSx backups, copies of another region's backup included.

CopyBackup is sent to the destination region's endpoint, so CloudTrail logs it there
(``awsRegion``) and names the copy in ``responseElements``; the source backup
(``requestParameters``' sourceBackupId, in sourceRegion, perhaps an EU one) is never
a target. CreateBackup backs up a file system or volume where it is called.

This type replaces the generic layer's AWS::FSx::Backup (a curated type always
wins, and the generated table leaves it out): a copy needs its own event, and the
generic entry has none for CopyBackup.

DeleteBackup refuses a backup still being made, copied or restored from
(BackupInProgress, BackupBeingCopied, BackupRestoring): deferred, tried again. The
scan lists user-initiated and automatic backups; those of AWS Backup (type
AWS_BACKUP) are recovery points of a vault and go with AWS Backup's own kill.
"""
from __future__ import annotations

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, tag_dict, utc_iso

SOURCE = "fsx.amazonaws.com"
NOT_FOUND = ("BackupNotFound", "ResourceNotFoundException")
_GONE = {"DELETED"}


def inspect_backup(client, backup_id: str) -> Live | None:
    found = client.describe_backups(BackupIds=[backup_id])["Backups"]
    if not found or found[0].get("Lifecycle") in _GONE:
        return None
    backup = found[0]
    return Live(created=utc_iso(backup.get("CreationTime")), tags=tag_dict(backup.get("Tags")),
                facts={"lifecycle": backup.get("Lifecycle", "")})


def delete_backup(client, backup_id: str, live: Live, force: bool) -> list[str]:
    client.delete_backup(BackupId=backup_id)
    return []


def _not_aws_backup(client, item: dict) -> bool:
    # Read from the page, not asked of DescribeBackups' backup-type filter: the page
    # says it, and the filter is one more thing an emulator can get wrong.
    return item.get("Type") != "AWS_BACKUP"


TYPES = (
    ResourceType(
        cfn_type="AWS::FSx::Backup",
        service="fsx",
        events=(
            CreateEvent(SOURCE, "CreateBackup",
                        "detail.responseElements.backup.backupId"
                        " || detail.responseElements.Backup.BackupId"),
            # The copy, made in awsRegion; requestParameters name the source.
            CreateEvent(SOURCE, "CopyBackup",
                        "detail.responseElements.backup.backupId"
                        " || detail.responseElements.Backup.BackupId"),
        ),
        inspect=inspect_backup,
        delete=delete_backup,
        listing=Listing("describe_backups", "Backups[]", "BackupId", created="CreationTime",
                        keep=_not_aws_backup),
        actions=("fsx:DescribeBackups", "fsx:DeleteBackup"),
        not_found=NOT_FOUND,
        not_ready=("BackupInProgress", "BackupBeingCopied", "BackupRestoring"),
    ),
)
