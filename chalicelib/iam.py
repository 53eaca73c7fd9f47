"""IAM policies generated from the registry, so they cannot drift from the code."""
from __future__ import annotations

import json

from chalicelib import registry

_LOGS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
# The scan asks which regions the account has enabled.
_SCAN = ("ec2:DescribeRegions",)


def reaper_policy() -> dict:
    """The policy of the Lambda functions: write their logs, and the registry's
    describe and delete actions (those need every resource, in every region)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Logs", "Effect": "Allow", "Action": list(_LOGS),
             "Resource": "arn:*:logs:*:*:*"},
            # The verdict log, and the breaker's counters in the same table.
            {"Sid": "VerdictLog", "Effect": "Allow",
             "Action": ["dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem",
                        "dynamodb:GetItem", "dynamodb:DeleteItem"],
             "Resource": "arn:*:dynamodb:*:*:table/monocyte-verdicts*"},
            {"Sid": "SlackWebhook", "Effect": "Allow", "Action": ["ssm:GetParameter"],
             "Resource": "arn:*:ssm:*:*:parameter/monocyte/*"},
            {"Sid": "MemberAccounts", "Effect": "Allow", "Action": ["sts:AssumeRole"],
             "Resource": "arn:*:iam::*:role/monocyte-*"},
            {"Sid": "ScanQueue", "Effect": "Allow",
             "Action": ["sqs:GetQueueUrl", "sqs:SendMessage", "sqs:ReceiveMessage",
                        "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
             "Resource": "arn:*:sqs:*:*:monocyte-scan*"},
            {"Sid": "Reap", "Effect": "Allow", "Action": sorted({*registry.iam_actions(), *_SCAN}),
             "Resource": "*"},
        ],
    }


def render(document: dict) -> str:
    return json.dumps(document, indent=2) + "\n"


# Where the IAM action is not the API operation's own name.
_ACTION_OF_OPERATION = {
    ("sts", "GetCallerIdentity"): (),  # needs no permission
}


def actions_of(service_prefix: str, operation: str) -> tuple[str, ...]:
    """The IAM actions an API call needs (``ec2``, ``TerminateInstances``). A service
    module whose IAM names differ from its operations declares ``IAM_NAMES`` the way
    ``_ACTION_OF_OPERATION`` is written."""
    for module in registry.modules():
        names = getattr(module, "IAM_NAMES", {})
        if (service_prefix, operation) in names:
            return names[(service_prefix, operation)]
    return _ACTION_OF_OPERATION.get((service_prefix, operation),
                                    (f"{service_prefix}:{operation}",))
