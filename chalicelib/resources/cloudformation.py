"""CloudFormation stacks."""
from __future__ import annotations

import datetime
import fnmatch
import json

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


# What a stack may hold that does not live in the stack's own region (global, or in
# several regions), so that deleting the stack would delete it everywhere, EU
# included: IAM (global), global tables and clusters (replicas in other regions),
# StackSets (their instances in other accounts and regions), custom resources (code
# that may do anything anywhere), and the global services. Such a stack is spared
# and reported; its regional data resources are found and killed on their own.
GLOBAL_RESOURCE_TYPES = (
    "AWS::IAM::*", "AWS::DynamoDB::GlobalTable", "AWS::RDS::GlobalCluster",
    "AWS::CloudFormation::StackSet", "AWS::CloudFormation::CustomResource", "Custom::*",
    "AWS::Route53::*", "AWS::Route53RecoveryControl::*",
    "AWS::Route53RecoveryReadiness::*", "AWS::CloudFront::*", "AWS::Organizations::*",
    "AWS::GlobalAccelerator::*", "AWS::KMS::ReplicaKey", "AWS::S3::MultiRegionAccessPoint*",
    "AWS::WAF::*", "AWS::Shield::*", "AWS::SSO::*", "AWS::IdentityStore::*",
    "AWS::NetworkManager::*", "AWS::Budgets::*",
)


def holds_global(client, stack_id: str) -> list[str]:
    """The resources of the stack that live beyond its region ("type logical-id")."""
    held = []
    for page in client.get_paginator("list_stack_resources").paginate(StackName=stack_id):
        for resource in page.get("StackResourceSummaries", []):
            kind = resource.get("ResourceType", "")
            if any(fnmatch.fnmatchcase(kind, p) for p in GLOBAL_RESOURCE_TYPES):
                held.append(f"{kind} {resource.get('LogicalResourceId', '?')}")
    return held


# How far from the stack's creation time its CreateStack record is looked for.
_RECORD_WINDOW = datetime.timedelta(minutes=15)


def stack_creator(cloudtrail, stack_id: str, created: str | None) -> str | None:
    """Who created the stack, as CloudTrail's history (the last 90 days) says: the
    userIdentity ARN of the CreateStack call that answered with this stack id, or
    None when the history does not hold it. For the scan, which has no event."""
    params: dict = {"LookupAttributes": [{"AttributeKey": "EventName",
                                          "AttributeValue": "CreateStack"}]}
    if created:
        when = datetime.datetime.fromisoformat(created.replace("Z", "+00:00"))
        params.update(StartTime=when - _RECORD_WINDOW, EndTime=when + _RECORD_WINDOW)
    for page in cloudtrail.get_paginator("lookup_events").paginate(**params):
        for event in page.get("Events", []):
            try:
                record = json.loads(event.get("CloudTrailEvent") or "{}")
            except ValueError:
                continue
            answer = record.get("responseElements") or {}
            if isinstance(answer, dict) and answer.get("stackId") == stack_id:
                arn = (record.get("userIdentity") or {}).get("arn")
                return arn if isinstance(arn, str) else None
    return None


def inspect_stack(client, stack_id: str) -> Live | None:
    stacks = client.describe_stacks(StackName=stack_id)["Stacks"]
    if not stacks or stacks[0]["StackStatus"] in {"DELETE_COMPLETE", "DELETE_IN_PROGRESS"}:
        return None
    stack = stacks[0]
    held = holds_global(client, stack_id)
    keep = None
    if held:
        keep = (f"the stack holds resources beyond its region ({', '.join(held[:5])}"
                f"{', …' if len(held) > 5 else ''}): deleting it would delete them "
                "everywhere; spared and reported, its regional resources are killed on "
                "their own")
    return Live(protected=bool(stack.get("EnableTerminationProtection")),
                created=utc_iso(stack.get("CreationTime")), tags=tag_dict(stack.get("Tags")),
                keep=keep)


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
                 "cloudformation:ListStacks", "cloudformation:ListStackResources",
                 # The scan's proof of who created a StackSet-named stack.
                 "cloudtrail:LookupEvents",
                 "cloudformation:UpdateTerminationProtection"),
        # DescribeStacks answers ValidationError "Stack ... does not exist".
        not_found=("ValidationError",),
    ),
)
