"""DynamoDB tables."""
from __future__ import annotations

from chalicelib.errors import Protected
from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso


def inspect_table(client, name: str) -> Live | None:
    table = client.describe_table(TableName=name)["Table"]
    if table["TableStatus"] == "DELETING":
        return None
    return Live(protected=bool(table.get("DeletionProtectionEnabled")),
                created=utc_iso(table.get("CreationDateTime")))


def delete_table(client, name: str, live: Live, force: bool, where: str = "") -> list[str]:
    """Deletes the table in the client's region, its protection lifted first with
    ``force`` (also the last step of a replica's and a legacy member's kill)."""
    notes = []
    if live.protected:
        if not force:
            raise Protected(f"table {name}{where} has deletion protection")
        client.update_table(TableName=name, DeletionProtectionEnabled=False)
        notes.append("deletion protection disabled")
    client.delete_table(TableName=name)
    return notes


TYPES = (
    ResourceType(
        cfn_type="AWS::DynamoDB::Table",
        service="dynamodb",
        events=(CreateEvent("dynamodb.amazonaws.com", "CreateTable",
                            "detail.responseElements.tableDescription.tableName"
                            " || detail.requestParameters.tableName"),
                # Restores and imports make a new table where the call is logged; the
                # source (backup ARN, source table, S3 bucket) is never a target.
                CreateEvent("dynamodb.amazonaws.com", "RestoreTableFromBackup",
                            "detail.responseElements.tableDescription.tableName"
                            " || detail.requestParameters.targetTableName"),
                CreateEvent("dynamodb.amazonaws.com", "RestoreTableToPointInTime",
                            "detail.responseElements.tableDescription.tableName"
                            " || detail.requestParameters.targetTableName"),
                CreateEvent("dynamodb.amazonaws.com", "ImportTable",
                            "detail.requestParameters.tableCreationParameters.tableName")),
        inspect=inspect_table,
        delete=delete_table,
        listing=Listing("list_tables", "TableNames[]", "@"),
        actions=("dynamodb:DescribeTable", "dynamodb:DeleteTable", "dynamodb:UpdateTable",
                 "dynamodb:ListTables"),
        not_found=("ResourceNotFoundException",),
        # A table still CREATING or UPDATING refuses deletion with ResourceInUse.
        not_ready=("ResourceInUseException",),
    ),
)
