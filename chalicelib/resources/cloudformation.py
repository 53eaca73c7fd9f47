"""CloudFormation stacks."""
from __future__ import annotations

from chalicelib.errors import Protected
from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, tag_dict, utc_iso

# Every stack status but DELETE_COMPLETE, as ListStacks' filter wants them spelled.
LIVE_STATUSES = [
    "CREATE_IN_PROGRESS", "CREATE_FAILED", "CREATE_COMPLETE", "ROLLBACK_IN_PROGRESS",
    "ROLLBACK_FAILED", "ROLLBACK_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_FAILED",
    "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE",
    "UPDATE_FAILED", "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE",
    "REVIEW_IN_PROGRESS", "IMPORT_IN_PROGRESS", "IMPORT_COMPLETE",
    "IMPORT_ROLLBACK_IN_PROGRESS", "IMPORT_ROLLBACK_FAILED", "IMPORT_ROLLBACK_COMPLETE",
]


def inspect_stack(client, stack_id: str) -> Live | None:
    stacks = client.describe_stacks(StackName=stack_id)["Stacks"]
    if not stacks or stacks[0]["StackStatus"] in {"DELETE_COMPLETE", "DELETE_IN_PROGRESS"}:
        return None
    stack = stacks[0]
    return Live(protected=bool(stack.get("EnableTerminationProtection")),
                created=utc_iso(stack.get("CreationTime")), tags=tag_dict(stack.get("Tags")))


def delete_stack(client, stack_id: str, live: Live, force: bool) -> list[str]:
    notes = []
    if live.protected:
        if not force:
            raise Protected(f"stack {stack_id} has termination protection")
        client.update_termination_protection(StackName=stack_id,
                                             EnableTerminationProtection=False)
        notes.append("termination protection disabled")
    client.delete_stack(StackName=stack_id)
    return notes


TYPES = (
    ResourceType(
        cfn_type="AWS::CloudFormation::Stack",
        service="cloudformation",
        # The stack ARN, not the name: a name can be reused by a later stack.
        events=(CreateEvent("cloudformation.amazonaws.com", "CreateStack",
                            "detail.responseElements.stackId"),),
        inspect=inspect_stack,
        delete=delete_stack,
        # Nested stacks go with their root; deleting one alone would break the root.
        listing=Listing("list_stacks", "StackSummaries[?!ParentId]", "StackId",
                        created="CreationTime",
                        params={"StackStatusFilter": LIVE_STATUSES}),
        actions=("cloudformation:DescribeStacks", "cloudformation:DeleteStack",
                 "cloudformation:ListStacks",
                 "cloudformation:UpdateTerminationProtection"),
        # DescribeStacks answers ValidationError "Stack ... does not exist".
        not_found=("ValidationError",),
    ),
)
