"""DynamoDB global-table replicas (global tables version 2019.11.21).

``UpdateTable`` with ``ReplicaUpdates: [{"Create": {"RegionName": R}}]`` is logged in
the table's region and adds a replica in R: the target is (table name, R). No other
call makes a replica in another region: CreateTable has no replica parameter (one
with ``GlobalTableSourceArn`` makes the replica where it is called, a table like any
other, AWS::DynamoDB::Table's), and the legacy CreateGlobalTable/UpdateGlobalTable
only join tables that each CreateTable already made (true, by AWS's API reference;
the members they join outside the EU are AWS::DynamoDB::LegacyGlobalTable's, in
dynamodb_global_legacy.py).

The type is named after CloudFormation's AWS::DynamoDB::GlobalTable, whose Replicas
are what it kills, one region at a time. It claims UpdateTable only; CreateTable
stays AWS::DynamoDB::Table's.

The replica is checked in R, and removed with ``UpdateTable`` ``ReplicaUpdates:
Delete`` sent through another region of the same global table (Live.delete_region):
only the replica in R goes, the table elsewhere (in the EU, say) is kept. A replica
with deletion protection is unprotected in R, its own region, and deleted there
with DeleteTable, which removes that region's replica only.

The nightly scan leaves replicas to AWS::DynamoDB::Table: ListTables shows a replica
in its region like any table, and that type deletes it there with DeleteTable.
Listing them here as well would put every replica through two deletes (and count
it twice in the breaker's plan), so this type has no listing.
"""
from __future__ import annotations

import jmespath

from chalicelib.errors import NotReady
from chalicelib.registry import CreateEvent, Live, ResourceType, utc_iso
from chalicelib.resources.dynamodb import delete_table

# CloudTrail spells DynamoDB's parameters in lowerCamel case, nested ones too.
_TABLE_NAME = jmespath.compile("detail.requestParameters.tableName"
                               " || detail.responseElements.tableDescription.tableName")
# The ids of the entry (``place`` does the placing): exactly false for an UpdateTable
# that adds no replica, the registry's word for "not this type's record".
_IDS = ("detail.requestParameters.replicaUpdates[?create] && (detail.requestParameters"
        ".tableName || detail.responseElements.tableDescription.tableName) || `false`")
_CREATED_REGIONS = jmespath.compile("detail.requestParameters.replicaUpdates[].create.regionName")
_BUSY = {"CREATING", "UPDATING"}
# Replica states through which no UpdateTable can be sent.
_UNUSABLE = {"DELETING", "CREATION_FAILED", "REGION_DISABLED", "ARCHIVING", "ARCHIVED",
             "INACCESSIBLE_ENCRYPTION_CREDENTIALS", "REPLICATION_NOT_AUTHORIZED"}


def table_name(value: str) -> str:
    """A table name from a name or an ARN (UpdateTable takes both)."""
    if value.startswith("arn:") and ":table/" in value:
        return value.split(":table/", 1)[1].split("/", 1)[0]
    return value


def replicas_created(event: dict) -> list[tuple[str, str]] | None:
    """(table name, replica region) for each replica the UpdateTable call created:
    none ([]) for UpdateTable's other uses, None when the record names no table."""
    regions = [r for r in _CREATED_REGIONS.search(event) or [] if isinstance(r, str) and r]
    if not regions:
        return []
    name = _TABLE_NAME.search(event)
    if not isinstance(name, str) or not name:
        return None
    return [(table_name(name), r) for r in regions]


def inspect_replica(client, name: str) -> Live | None:
    """The table in the replica's own region, and another region of its global table
    through which the replica is removed."""
    table = client.describe_table(TableName=name)["Table"]
    if table["TableStatus"] == "DELETING":
        return None
    here = client.meta.region_name
    # A table's Replicas names the other regions of its global table; an ACTIVE one
    # is preferred, as UpdateTable is refused while a table is busy.
    others = sorted((r for r in table.get("Replicas", [])
                     if r.get("RegionName") and r["RegionName"] != here
                     and r.get("ReplicaStatus") not in _UNUSABLE),
                    key=lambda r: (r.get("ReplicaStatus") != "ACTIVE", r["RegionName"]))
    protected = bool(table.get("DeletionProtectionEnabled"))
    # Protection is a setting of this replica, turned off in its own region: a
    # protected replica (or one no longer global) is deleted here.
    through = others[0]["RegionName"] if others and not protected else None
    return Live(protected=protected, created=utc_iso(table.get("CreationDateTime")),
                facts={"region": here, "status": table["TableStatus"]},
                delete_region=through)


def delete_replica(client, name: str, live: Live, force: bool) -> list[str]:
    region = live.facts["region"]
    if live.facts["status"] in _BUSY:
        # Still being built (or changed): neither call is accepted yet.
        raise NotReady(f"table {name} in {region} is {live.facts['status']}")
    if live.delete_region:
        # ``client`` is in live.delete_region, another member of the global table.
        client.update_table(TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": region}}])
        return [f"replica removed through {live.delete_region}"]
    return delete_table(client, name, live, force, where=f" in {region}") + [
        f"deleted in {region}"]


TYPES = (
    ResourceType(
        cfn_type="AWS::DynamoDB::GlobalTable",
        service="dynamodb",
        events=(CreateEvent("dynamodb.amazonaws.com", "UpdateTable", _IDS,
                            place=replicas_created),),
        inspect=inspect_replica,
        delete=delete_replica,
        # Keeps nothing (see above): replicas are scanned as AWS::DynamoDB::Table.
        listing=None,  # the scan finds a replica as an AWS::DynamoDB::Table in its region
        actions=("dynamodb:DescribeTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable",
                 "dynamodb:DeleteTableReplica"),
        not_found=("ResourceNotFoundException",),
        # This table, or the one the call goes through, is CREATING or UPDATING.
        not_ready=("ResourceInUseException",),
    ),
)
