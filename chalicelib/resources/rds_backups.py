"""RDS automated backups held in a region: replicated ones, and those a deleted DB
instance left behind.

CloudFormation has no type for them; this one follows its naming scheme without
being a CloudFormation type: ``AWS::RDS::DBInstanceAutomatedBackup``. Its id is the
backup's own ARN (``arn:aws:rds:REGION:ACCOUNT:auto-backup:ab-...``), which names the
region the backup lives in, never its source instance.

``StartDBInstanceAutomatedBackupsReplication`` is sent to the *destination* region
(its ``SourceDBInstanceArn`` names the instance elsewhere), so CloudTrail logs it
there; its answer is the replicated backup, whose ``DBInstanceArn`` and ``Region``
are the source's. The source instance is never a target: the kill acts only in the
region the backup lives in.

The kill, all in that region: ``StopDBInstanceAutomatedBackupsReplication`` (sent to
the destination region, as AWS's own examples do; it names the source by ARN but
writes nothing in the source's region, so the member role's region guard allows it
outside the allowed regions only), then ``DeleteDBInstanceAutomatedBackup`` by the
backup's ARN. Stopped backups stay "retained" until their retention runs out: a
delete refused while the stop settles is deferred, and the next run, finding the
backup retained, deletes it without a second stop.

The nightly scan lists, in each region, the automated backups that are data no other
type deletes: replicated ones (their ``Region`` is another region) and retained ones
of deleted instances (a point-in-time restore can still be made from them). The
active backups of a live instance in the region are left out: they go with their
instance (AWS::RDS::DBInstance deletes it with DeleteAutomatedBackups), and AWS
refuses to delete them while it exists.
"""
from __future__ import annotations

import jmespath

from chalicelib.errors import NotFound, aws_errors
from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, tag_dict

SOURCE = "rds.amazonaws.com"
TYPE = "AWS::RDS::DBInstanceAutomatedBackup"
INSTANCE_NOT_FOUND = ("DBInstanceNotFound", "DBInstanceNotFoundFault")
# Replication no longer runs: the source was deleted, or the replication stopped.
RETAINED = "retained"
# Still replicating or settling after the stop; the source busy.
NOT_READY = ("InvalidDBInstanceAutomatedBackupState",
             "InvalidDBInstanceAutomatedBackupStateFault",
             "InvalidDBInstanceState", "InvalidDBInstanceStateFault")
_ARN = jmespath.compile("detail.responseElements.dBInstanceAutomatedBackupsArn || "
                        "detail.responseElements.dBInstanceAutomatedBackup"
                        ".dBInstanceAutomatedBackupsArn")


def arn_region(arn: object) -> str | None:
    """The region an ``arn:partition:rds:REGION:...`` ARN names, or None."""
    if not isinstance(arn, str):
        return None
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" and parts[3] else None


def _placed(event: dict) -> str | None:
    """Where the replicated backup lives: the region of its own ARN (the call is
    made there, so it is also ``awsRegion``)."""
    # JMESPath, not .get: a record whose answer is not an object is unplaced, never
    # an exception out of reap (events.targets calls this unguarded).
    return arn_region(_ARN.search(event)) or jmespath.search("detail.awsRegion", event)


def _replicated(backup: dict, here: str) -> bool:
    """A copy of an instance in another region (``Region`` is the source's)."""
    return bool(backup.get("Region")) and backup["Region"] != here


def worth_listing(client, backup: dict) -> bool:
    """Replicated here, or left by a deleted instance; not a live instance's own."""
    return backup.get("Status") == RETAINED or _replicated(backup, client.meta.region_name)


def inspect_backup(client, arn: str) -> Live | None:
    found = client.describe_db_instance_automated_backups(
        DBInstanceAutomatedBackupsArn=arn)["DBInstanceAutomatedBackups"]
    if not found:
        return None
    backup = found[0]
    here = client.meta.region_name
    replicated = _replicated(backup, here)
    keep = None
    if not replicated and backup.get("Status") != RETAINED:
        keep = ("the automated backups of a live DB instance go with it "
                "(AWS::RDS::DBInstance)")
    return Live(region=arn_region(backup.get("DBInstanceAutomatedBackupsArn")) or here,
                tags=tag_dict(backup.get("TagList")), keep=keep,
                facts={"source": backup.get("DBInstanceArn"), "status": backup.get("Status"),
                       "source_region": backup.get("Region"),
                       "replicating": replicated and backup.get("Status") != RETAINED})


def delete_backup(client, arn: str, live: Live, force: bool) -> list[str]:
    notes = []
    source = live.facts.get("source")
    if live.facts.get("replicating") and source:
        # Sent here, in the backup's region: nothing is written where the source is.
        try:
            # The type's not-ready codes too: translated here, a busy source would
            # otherwise reach the reaper as a plain failure, never retried.
            with aws_errors(not_found=INSTANCE_NOT_FOUND, not_ready=NOT_READY):
                client.stop_db_instance_automated_backups_replication(SourceDBInstanceArn=source)
            notes.append(f"replication from {live.facts.get('source_region')} stopped")
        except NotFound:
            notes.append("its source instance is gone: nothing replicates any more")
    client.delete_db_instance_automated_backup(DBInstanceAutomatedBackupsArn=arn)
    return notes + ["replicated backups deleted" if live.facts.get("source_region") !=
                    client.meta.region_name else "retained backups deleted"]


TYPES = (
    ResourceType(
        cfn_type=TYPE,
        service="rds",
        events=(CreateEvent(SOURCE, "StartDBInstanceAutomatedBackupsReplication",
                            "detail.responseElements.dBInstanceAutomatedBackupsArn || "
                            "detail.responseElements.dBInstanceAutomatedBackup"
                            ".dBInstanceAutomatedBackupsArn",
                            region=_placed),),
        inspect=inspect_backup,
        delete=delete_backup,
        listing=Listing("describe_db_instance_automated_backups",
                        "DBInstanceAutomatedBackups[]", "DBInstanceAutomatedBackupsArn",
                        keep=worth_listing),
        actions=("rds:DescribeDBInstanceAutomatedBackups",
                 "rds:StopDBInstanceAutomatedBackupsReplication",
                 "rds:DeleteDBInstanceAutomatedBackup"),
        not_found=("DBInstanceAutomatedBackupNotFound",
                   "DBInstanceAutomatedBackupNotFoundFault"),
        not_ready=NOT_READY,
    ),
)
