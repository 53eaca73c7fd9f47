"""AWS Glue Data Catalog databases, named by database name.

CreateDatabase answers nothing: the name comes from the request. Glue folds names to
lower case when it stores them and looks them up the same way. Glue's CreateTable (a
catalog table) is not DynamoDB's: the registry keys events by source and name, so
``glue.amazonaws.com:CreateTable`` claims nothing.
"""
from __future__ import annotations

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso


def inspect_database(client, name: str) -> Live | None:
    database = client.get_database(Name=name)["Database"]
    return Live(created=utc_iso(database.get("CreateTime")))


def delete_database(client, name: str, live: Live, force: bool) -> list[str]:
    # Glue deletes the database's tables, partitions and functions with it. The data
    # they point at lives elsewhere (S3 buckets are a type of their own).
    client.delete_database(Name=name)
    return []


TYPES = (
    ResourceType(
        cfn_type="AWS::Glue::Database",
        service="glue",
        events=(CreateEvent("glue.amazonaws.com", "CreateDatabase",
                            "detail.requestParameters.databaseInput.name"),),
        inspect=inspect_database,
        delete=delete_database,
        # The account's own catalog: GetDatabases lists no shared databases unless asked.
        listing=Listing("get_databases", "DatabaseList[]", "Name", created="CreateTime"),
        actions=("glue:GetDatabase", "glue:GetDatabases", "glue:DeleteDatabase"),
        not_found=("EntityNotFoundException",),
        # Another catalog change on the same database is under way: retried later.
        not_ready=("ConcurrentModificationException",),
    ),
)
