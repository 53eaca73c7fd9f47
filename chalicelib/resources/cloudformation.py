"""CloudFormation stacks."""
from __future__ import annotations

from chalicelib.errors import Protected
from chalicelib.registry import CreateEvent, Live, ResourceType


def inspect_stack(client, stack_id: str) -> Live | None:
    stacks = client.describe_stacks(StackName=stack_id)["Stacks"]
    if not stacks or stacks[0]["StackStatus"] in {"DELETE_COMPLETE", "DELETE_IN_PROGRESS"}:
        return None
    stack = stacks[0]
    return Live(protected=bool(stack.get("EnableTerminationProtection")),
                facts={"name": stack["StackName"]})


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
        actions=("cloudformation:DescribeStacks", "cloudformation:DeleteStack",
                 "cloudformation:UpdateTerminationProtection"),
        # DescribeStacks answers ValidationError "Stack ... does not exist".
        not_found=("ValidationError",),
    ),
)
