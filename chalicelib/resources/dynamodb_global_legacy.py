"""Replicas of DynamoDB global tables of version 2017.11.29 (legacy).

``CreateGlobalTable`` joins tables of one name that already exist, empty, in each
region of ``ReplicationGroup`` (CreateTable made each one in its region, as the
API's documentation requires); ``UpdateGlobalTable`` with ``ReplicaUpdates: Create``
joins one more. Nothing is copied at that moment (every member is empty), but from
then on every write to an EU member is replicated to each member outside: the
replication group is the data flow, and each member outside the allowed regions
is a replica to kill.

Targets: every region the call joins, the table name its id. For CreateGlobalTable
that is each member (all are peers, none holds data yet); an EU member is judged
like any copy landing in the EU: spared, without a call. For UpdateGlobalTable only
the regions it adds are targets, never the members already there.

The kill, all in the replica's own region R: ``UpdateGlobalTable`` ``ReplicaUpdates:
[{"Delete": {"RegionName": R}}]`` sent to R (the member role may not write in an
allowed region, and UpdateGlobalTable is not one of its named replica removals),
which takes R out of the replication group and leaves its table a plain table; then
``DeleteTable`` in R. A table that has already left the group is deleted at once.
While the group is CREATING or UPDATING neither is accepted: deferred.

Named after CloudFormation's naming scheme without being a CloudFormation type
(AWS::DynamoDB::GlobalTable is the 2019.11.21 version, chalicelib/resources/
dynamodb_replicas.py). The nightly scan finds a member as an AWS::DynamoDB::Table in
its region (ListTables shows it like any table): this type has no listing of its own.
"""
from __future__ import annotations

import jmespath

from chalicelib.errors import NotReady
from chalicelib.registry import CreateEvent, Live, ResourceType, utc_iso
from chalicelib.resources.dynamodb import delete_table

SOURCE = "dynamodb.amazonaws.com"
TYPE = "AWS::DynamoDB::LegacyGlobalTable"
_NAME = jmespath.compile("detail.requestParameters.globalTableName"
                         " || detail.responseElements.globalTableDescription.globalTableName")
_GROUP = jmespath.compile("detail.requestParameters.replicationGroup[].regionName"
                          " || detail.responseElements.globalTableDescription"
                          ".replicationGroup[].regionName")
_ADDED = jmespath.compile("detail.requestParameters.replicaUpdates[].create.regionName")
# Exactly false for an UpdateGlobalTable that adds no region (one that only removes).
_UPDATE_IDS = ("detail.requestParameters.replicaUpdates[?create] && "
               "detail.requestParameters.globalTableName || `false`")
_BUSY = {"CREATING", "UPDATING"}


def _pairs(event: dict, regions) -> list[tuple[str, str]]:
    name = _NAME.search(event)
    if not isinstance(name, str) or not name:
        return []
    return [(name, r) for r in regions or [] if isinstance(r, str) and r]


def members_joined(event: dict) -> list[tuple[str, str]]:
    """CreateGlobalTable: (global table name, region) for every member."""
    return _pairs(event, _GROUP.search(event))


def members_added(event: dict) -> list[tuple[str, str]]:
    """UpdateGlobalTable: (global table name, region) for each region it adds."""
    return _pairs(event, _ADDED.search(event))


def inspect_member(client, name: str) -> Live | None:
    """The member's table in its own region, and whether that region is still in
    the global table's replication group."""
    table = client.describe_table(TableName=name)["Table"]
    if table["TableStatus"] == "DELETING":
        return None
    here = client.meta.region_name
    group_status = None
    try:
        described = client.describe_global_table(GlobalTableName=name)
    except client.exceptions.GlobalTableNotFoundException:
        described = None  # a plain table now (or never joined one)
    if described:
        glob = described["GlobalTableDescription"]
        if here in {r.get("RegionName") for r in glob.get("ReplicationGroup", [])}:
            group_status = glob.get("GlobalTableStatus")
    return Live(protected=bool(table.get("DeletionProtectionEnabled")),
                created=utc_iso(table.get("CreationDateTime")),
                facts={"region": here, "in_group": group_status is not None,
                       "group_status": group_status, "status": table["TableStatus"]})


def delete_member(client, name: str, live: Live, force: bool) -> list[str]:
    region = live.facts["region"]
    notes = []
    if live.facts["in_group"]:
        if live.facts["group_status"] in _BUSY:
            raise NotReady(f"global table {name} is {live.facts['group_status']}")
        # Sent to the replica's own region: the EU members are never written to.
        try:
            client.update_global_table(GlobalTableName=name,
                                       ReplicaUpdates=[{"Delete": {"RegionName": region}}])
            notes.append(f"{region} removed from the global table")
        except (client.exceptions.ReplicaNotFoundException,
                client.exceptions.GlobalTableNotFoundException):
            pass  # it left the group since the live check: only the table is left
    # Refused (ResourceInUse) while the removal settles: deferred; the next run finds
    # the table out of the group and deletes it.
    notes += delete_table(client, name, live, force, where=f" in {region}")
    return notes + [f"deleted in {region}"]


TYPES = (
    ResourceType(
        cfn_type=TYPE,
        service="dynamodb",
        events=(CreateEvent(SOURCE, "CreateGlobalTable",
                            "detail.requestParameters.globalTableName || detail."
                            "responseElements.globalTableDescription.globalTableName",
                            place=members_joined),
                CreateEvent(SOURCE, "UpdateGlobalTable", _UPDATE_IDS, place=members_added)),
        inspect=inspect_member,
        delete=delete_member,
        listing=None,  # the scan finds a member as an AWS::DynamoDB::Table in its region
        actions=("dynamodb:DescribeTable", "dynamodb:DescribeGlobalTable",
                 "dynamodb:UpdateGlobalTable", "dynamodb:UpdateTable",
                 "dynamodb:DeleteTable"),
        not_found=("ResourceNotFoundException", "TableNotFoundException"),
        # The table or its global table is busy; the removal still settling.
        not_ready=("ResourceInUseException",),
    ),
)
