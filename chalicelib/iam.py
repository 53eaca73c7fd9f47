"""IAM policies generated from the registry, so they cannot drift from the code."""
from __future__ import annotations

import json

from chalicelib import registry

_LOGS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")


def reaper_policy() -> dict:
    """The policy of the Lambda functions: write their logs, and the registry's
    describe and delete actions (those need every resource, in every region)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Logs", "Effect": "Allow", "Action": list(_LOGS),
             "Resource": "arn:*:logs:*:*:*"},
            {"Sid": "Reap", "Effect": "Allow", "Action": list(registry.iam_actions()),
             "Resource": "*"},
        ],
    }


def render(document: dict) -> str:
    return json.dumps(document, indent=2) + "\n"
