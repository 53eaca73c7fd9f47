"""CloudHSM (v2) cluster backups, and the copies CopyBackupToRegion makes elsewhere.

CloudFormation has no CloudHSM type; ``AWS::CloudHSM::Backup`` follows its naming
scheme. A backup holds the cluster's keys, encrypted: outside the EU it goes.

CopyBackupToRegion is called in the SOURCE backup's region (perhaps an allowed one)
and copies it to ``DestinationRegion``; CloudTrail logs it in the source region, and
its answer names only the source backup, not the copy, whose id exists only once
the copy appears in the destination. So the event's target is written
``copy-of:<source backup id>``, placed in the destination region: the live check
finds the copy there with DescribeBackups filtered by ``sourceBackupIds``, the only
way AWS offers, and the delete removes that copy there, never anything in the
source region (no client of that region is ever made for it). A copy that has not
appeared yet is deferred and tried again. The copy found is judged by its own id as
well (Live.names: an allowlist entry naming it spares it). Several live copies of one
source in the region cannot be told apart (one may be exempt, or another call's):
none is deleted for the event, and the scan judges each by its own id.

DeleteBackup keeps a backup PENDING_DELETION for 7 days, during which RestoreBackup
can bring it back; then AWS deletes it. A backup pending deletion is on its way
out. The scan lists every backup of the region (copies included) by its own id.
"""
from __future__ import annotations

import dataclasses

import jmespath

from chalicelib.errors import NotReady
from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, tag_dict, utc_iso

SOURCE = "cloudhsm.amazonaws.com"
COPY_OF = "copy-of:"
_GONE = {"PENDING_DELETION", "DELETED"}
_SOURCE_BACKUP = jmespath.compile("detail.requestParameters.backupId"
                                  " || detail.responseElements.destinationBackup.sourceBackup")
_DESTINATION = jmespath.compile("detail.requestParameters.destinationRegion")


def copy_placed(event: dict) -> list[tuple[str, str]] | None:
    """The copy a CopyBackupToRegion call makes, named by its source, in the
    destination region; None when the record does not say which or where."""
    source, region = _SOURCE_BACKUP.search(event), _DESTINATION.search(event)
    if not (isinstance(source, str) and source and isinstance(region, str) and region):
        return None
    return [(COPY_OF + source, region)]


def _live(backups: list[dict], facts: dict) -> Live:
    first = backups[0] if backups else {}
    return Live(created=utc_iso(first.get("CopyTimestamp") or first.get("CreateTimestamp")),
                tags=tag_dict(first.get("TagList")) if backups else None, facts=facts,
                names=tuple(facts.get("copies", ())))


def inspect_backup(client, backup_id: str) -> Live | None:
    if backup_id.startswith(COPY_OF):
        source = backup_id[len(COPY_OF):]
        found = client.describe_backups(Filters={"sourceBackupIds": [source]})["Backups"]
        # Only copies of that source, in this (the client's) region: never the source.
        copies = [b for b in found if b.get("SourceBackup") == source
                  and b.get("BackupId") and b["BackupId"] != source]
        live = [b for b in copies if b.get("BackupState") not in _GONE]
        if copies and not live:
            return None  # copied, and already on its way out
        ids = [b["BackupId"] for b in live]
        found = _live(live, {"copies": ids, "source": source})
        if len(ids) > 1:
            # The record names no copy: several cannot be told apart, and one may
            # be exempt (its own tag, its id in the allowlist) or another call's.
            # Each is left to the scan, which judges it by its own id and tags.
            found = dataclasses.replace(found, keep=(
                f"{len(ids)} copies of {source} here ({', '.join(ids)}); which one this "
                "call made is unknown: each is left to the nightly scan, judged by its "
                "own id and tags"))
        return found
    found = client.describe_backups(Filters={"backupIds": [backup_id]})["Backups"]
    if not found or found[0].get("BackupState") in _GONE:
        return None
    return _live(found, {"copies": [backup_id]})


def delete_backup(client, backup_id: str, live: Live, force: bool) -> list[str]:
    copies = live.facts.get("copies") or []
    if not copies:
        raise NotReady(f"the copy of {live.facts.get('source')} has not appeared in "
                       f"{client.meta.region_name} yet", "not-yet", "DescribeBackups")
    for copy in copies:
        client.delete_backup(BackupId=copy)
    named = f"deleted {', '.join(copies)}" if backup_id.startswith(COPY_OF) else "deleted"
    return [f"{named}; CloudHSM keeps a deleted backup restorable for 7 days"]


TYPES = (
    ResourceType(
        cfn_type="AWS::CloudHSM::Backup",
        service="cloudhsmv2",
        events=(CreateEvent(SOURCE, "CopyBackupToRegion", "detail.requestParameters.backupId",
                            place=copy_placed),
                # A backup pending deletion (a kill's DeleteBackup) brought back, where
                # it lives: killed again.
                CreateEvent(SOURCE, "RestoreBackup",
                            "detail.requestParameters.backupId"
                            " || detail.responseElements.backup.backupId")),
        inspect=inspect_backup,
        delete=delete_backup,
        listing=Listing("describe_backups", "Backups[]", "BackupId",
                        created="CopyTimestamp || CreateTimestamp"),
        actions=("cloudhsm:DescribeBackups", "cloudhsm:DeleteBackup"),
        not_found=("CloudHsmResourceNotFoundException",),
        # A backup still being created (CREATE_IN_PROGRESS) refuses deletion.
        not_ready=("CloudHsmInvalidRequestException",),
    ),
)
