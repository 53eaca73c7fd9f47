"""Step Functions state machines (states.amazonaws.com), named by their ARN.

DeleteStateMachine is asynchronous (the machine goes DELETING, its running
executions are stopped) and idempotent.
"""
from __future__ import annotations

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso


def inspect_state_machine(client, arn: str) -> Live | None:
    found = client.describe_state_machine(stateMachineArn=arn)
    if found.get("status") == "DELETING":
        return None
    return Live(created=utc_iso(found.get("creationDate")))


def delete_state_machine(client, arn: str, live: Live, force: bool) -> list[str]:
    client.delete_state_machine(stateMachineArn=arn)
    return []


TYPES = (
    ResourceType(
        cfn_type="AWS::StepFunctions::StateMachine",
        service="stepfunctions",
        events=(CreateEvent("states.amazonaws.com", "CreateStateMachine",
                            "detail.responseElements.stateMachineArn"),),
        inspect=inspect_state_machine,
        delete=delete_state_machine,
        listing=Listing("list_state_machines", "stateMachines[]", "stateMachineArn",
                        created="creationDate"),
        actions=("states:DescribeStateMachine", "states:DeleteStateMachine",
                 "states:ListStateMachines"),
        not_found=("StateMachineDoesNotExist",),
    ),
)
