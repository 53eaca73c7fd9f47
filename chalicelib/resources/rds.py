"""RDS DB instances and DB snapshots."""
from __future__ import annotations

from chalicelib.errors import Protected
from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, tag_dict

SOURCE = "rds.amazonaws.com"


def inspect_instance(client, identifier: str) -> Live | None:
    found = client.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    if not found or found[0]["DBInstanceStatus"] == "deleting":
        return None
    return Live(protected=bool(found[0].get("DeletionProtection")),
                tags=tag_dict(found[0].get("TagList")))


def delete_instance(client, identifier: str, live: Live, force: bool) -> list[str]:
    notes = []
    if live.protected:
        if not force:
            raise Protected(f"DB instance {identifier} has deletion protection")
        client.modify_db_instance(DBInstanceIdentifier=identifier, DeletionProtection=False,
                                  ApplyImmediately=True)
        notes.append("deletion protection disabled")
    # A final snapshot would keep the data in the forbidden region.
    client.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True,
                              DeleteAutomatedBackups=True)
    return notes + ["no final snapshot"]


def inspect_snapshot(client, identifier: str) -> Live | None:
    found = client.describe_db_snapshots(DBSnapshotIdentifier=identifier)["DBSnapshots"]
    if not found or found[0].get("Status") == "deleting":
        return None
    return Live(tags=tag_dict(found[0].get("TagList")))


def delete_snapshot(client, identifier: str, live: Live, force: bool) -> list[str]:
    client.delete_db_snapshot(DBSnapshotIdentifier=identifier)
    return []


TYPES = (
    ResourceType(
        cfn_type="AWS::RDS::DBInstance",
        service="rds",
        events=(CreateEvent(SOURCE, "CreateDBInstance",
                            "detail.responseElements.dBInstanceIdentifier"
                            " || detail.requestParameters.dBInstanceIdentifier"),
                # Copies of data: each call is logged where the new instance lives, and
                # names its source (an id, or an ARN in another region) in fields we
                # never read, so the source is never a target.
                CreateEvent(SOURCE, "CreateDBInstanceReadReplica",
                            "detail.responseElements.dBInstanceIdentifier"
                            " || detail.requestParameters.dBInstanceIdentifier"),
                CreateEvent(SOURCE, "RestoreDBInstanceFromDBSnapshot",
                            "detail.responseElements.dBInstanceIdentifier"
                            " || detail.requestParameters.dBInstanceIdentifier"),
                CreateEvent(SOURCE, "RestoreDBInstanceFromS3",
                            "detail.responseElements.dBInstanceIdentifier"
                            " || detail.requestParameters.dBInstanceIdentifier"),
                CreateEvent(SOURCE, "RestoreDBInstanceToPointInTime",
                            "detail.responseElements.dBInstanceIdentifier"
                            " || detail.requestParameters.targetDBInstanceIdentifier")),
        inspect=inspect_instance,
        delete=delete_instance,
        listing=Listing("describe_db_instances", "DBInstances[]", "DBInstanceIdentifier",
                        created="InstanceCreateTime"),
        actions=("rds:DescribeDBInstances", "rds:DeleteDBInstance", "rds:ModifyDBInstance"),
        not_found=("DBInstanceNotFound", "DBInstanceNotFoundFault"),
        # Still creating, or busy with a modification: retried later.
        not_ready=("InvalidDBInstanceState", "InvalidDBInstanceStateFault"),
    ),
    ResourceType(
        cfn_type="AWS::RDS::DBSnapshot",
        service="rds",
        events=(CreateEvent(SOURCE, "CreateDBSnapshot",
                            "detail.responseElements.dBSnapshotIdentifier"
                            " || detail.requestParameters.dBSnapshotIdentifier"),
                # Logged in the destination region; the source is sourceDBSnapshotIdentifier.
                CreateEvent(SOURCE, "CopyDBSnapshot",
                            "detail.responseElements.dBSnapshotIdentifier"
                            " || detail.requestParameters.targetDBSnapshotIdentifier")),
        inspect=inspect_snapshot,
        delete=delete_snapshot,
        # Automated snapshots belong to their instance and go with it.
        listing=Listing("describe_db_snapshots", "DBSnapshots[]", "DBSnapshotIdentifier",
                        created="SnapshotCreateTime", params={"SnapshotType": "manual"}),
        actions=("rds:DescribeDBSnapshots", "rds:DeleteDBSnapshot"),
        not_found=("DBSnapshotNotFound", "DBSnapshotNotFoundFault"),
        not_ready=("InvalidDBSnapshotState", "InvalidDBSnapshotStateFault"),
    ),
)
