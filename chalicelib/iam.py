"""IAM policies generated from the registry and the settings, keeping the prime
directive by construction.

- The central Lambda roles may only write their logs, the verdict table, read the
  Slack parameter, use the scan queue and **assume the member role**: every resource
  action goes through ``monocyte-member`` (deployed in the central account too), so
  the Lambda's inline policy stays small however many types the registry holds.
- The member role may list, describe and delete what the registry declares; every
  action that is not a plain read (delete, terminate, modify, update, put, disable,
  schedule-deletion, remove, stop, ...) is **explicitly denied when
  aws:RequestedRegion is an allowed region**, except the named replica removals of
  ``REPLICA_REMOVALS``. An explicit deny wins over any allow (IAM's evaluation
  logic), so a bug in our code cannot delete in the EU: AWS refuses.
- The reads a kill needs that also show customer data (object keys, a function's
  environment, a stack's outputs) are denied in the allowed regions the same way:
  they work only where everything is being deleted anyway. The reads that *are*
  customer data (objects, items, secrets, messages, log events, code) are never
  granted (``NEVER_GRANTED``).
- The dry-run stage (``dev``) assumes ``monocyte-member-dryrun``, which holds no
  destructive action at all.
- The member role's permissions are customer-managed policies, each at most
  ``MANAGED_POLICY_MAX_CHARS``, cut by service, so they fit IAM's quotas whatever
  the registry grows to: read ones shared with the dry-run role, write ones with one
  region Deny each (chalicelib.member_policy).
"""
from __future__ import annotations

import json
from typing import Iterable

from chalicelib import registry
from chalicelib.limits import MANAGED_POLICY_MAX_CHARS  # noqa: F401 - used and re-exported
from chalicelib.limits import ROLE_INLINE_POLICIES_MAX_CHARS as ROLE_INLINE_MAX_CHARS

# Managed policies attached to one role (IAM User Guide, "IAM and AWS STS quotas",
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html;
# default 10, 20 on request).
MANAGED_POLICIES_PER_ROLE = 10

MEMBER_ROLE = "monocyte-member"
DRY_RUN_ROLE = "monocyte-member-dryrun"

_LOGS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
_READ_VERBS = ("Describe", "List", "Get")

# Plain reads of metadata, by their verb; API Gateway's IAM actions are HTTP verbs.
_READ_ACTIONS = frozenset({"apigateway:GET"})

# Reads a kill needs that show customer data or name it: allowed only outside the
# allowed regions (denied inside, like the destructive actions), where the resource
# is unlawfully placed and about to go. Each with why the kill needs it.
OUTSIDE_ONLY_READS = {
    "s3:ListBucketVersions": "emptying a bucket lists its object versions (keys)",
    "s3:ListBucketMultipartUploads": "emptying a bucket aborts its unfinished uploads",
    "s3express:CreateSession": "a directory bucket's objects are deleted in a session",
    "lambda:GetFunctionConfiguration": "the live check; its answer holds the environment",
    "lambda:ListFunctions": "the scan's listing; its answer holds each environment",
    "cloudformation:DescribeStacks": "the live check and its protection proof; the "
                                     "answer holds the stack's outputs",
    "cloudtrail:LookupEvents": "who created a StackSet-named stack the scan found; the "
                               "history holds the calls' parameters",
    # The generic layer's live check (Cloud Control's GetResource) calls its type's
    # read handler, whose answer holds what the customer wrote:
    "appsync:GetGraphqlApiEnvironmentVariables": "a GraphQL API's environment variables",
    "athena:GetNamedQuery": "a saved query's SQL",
    "athena:GetPreparedStatement": "a prepared statement's SQL",
    "bedrock:GetPrompt": "a prompt's text",
    "wisdom:GetAIPrompt": "an AI prompt's text",
    "wisdom:GetContent": "a knowledge base document (a link to it)",
    "wisdom:GetMessageTemplate": "a message template's body",
    "ses:GetEmailTemplate": "an email template's body",
    "ses:GetTemplate": "an email template's body",
    "ses:GetCustomVerificationEmailTemplate": "a verification email's body",
    "mobiletargeting:GetInAppTemplate": "an in-app message's content",
}

# Reads that are customer data itself: never granted, on any resource.
NEVER_GRANTED = frozenset({
    "s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAcl", "s3:ListBucket",
    "dynamodb:Scan", "dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem",
    "dynamodb:PartiQLSelect", "dynamodb:GetRecords", "dynamodb:ExportTableToPointInTime",
    "secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue",
    "sqs:ReceiveMessage", "sns:Subscribe", "kinesis:GetRecords", "kinesis:GetShardIterator",
    "firehose:PutRecord", "logs:GetLogEvents", "logs:FilterLogEvents",
    "logs:StartQuery", "logs:GetQueryResults", "lambda:GetFunction", "lambda:InvokeFunction",
    "kms:Decrypt", "kms:GenerateDataKey", "ssm:GetParameter", "ssm:GetParameters",
    "rds:DownloadDBLogFilePortion", "rds-data:ExecuteStatement", "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer", "glue:GetTable", "glue:GetPartitions",
    "athena:GetQueryResults", "states:GetExecutionHistory", "ec2:GetPasswordData",
    "ec2:GetConsoleOutput", "ec2:GetConsoleScreenshot", "ec2:DescribeInstanceAttribute",
    "cloudformation:GetTemplate", "elasticfilesystem:ClientMount",
})

# The destructive actions that must be called in an allowed region: the removal of a
# replica outside it goes through its primary (or another member), which lives here.
# Each is allowed in the allowed regions only as narrowly as IAM lets us say.
REPLICA_REMOVALS = {
    # A secret's replica is removed through its primary: RemoveRegionsFromReplication
    # is refused in the replica's own region. IAM has no condition key naming the
    # regions removed (secretsmanager:SecretPrimaryRegion only says where the primary
    # is, which is here anyway), so the reaper's own check is what keeps an EU
    # replica: it removes only the regions the live check found outside.
    "secretsmanager:RemoveRegionsFromReplication":
        "a non-EU replica of an EU secret is removed through the EU primary",
    # A global table's replica is removed with UpdateTable (ReplicaUpdates: Delete)
    # sent to another member of the table, which may be in an allowed region.
    # UpdateTable has no condition key for what it changes; DeleteTableReplica, which
    # AWS also checks for a replica removal, stays denied on the table ARNs of every
    # allowed region (_EXCEPTION_DENIED_ON), so an EU replica cannot go this way.
    "dynamodb:UpdateTable": "a non-EU replica of a global table is removed through "
                            "another member, which may be in the EU",
    "dynamodb:DeleteTableReplica": "checked by AWS with UpdateTable's replica removal; "
                                   "denied on every allowed region's table ARN",
}
# Resource ARNs on which a named exception stays denied in every partition/account.
_EXCEPTION_DENIED_ON = {
    "dynamodb:DeleteTableReplica": "arn:aws:dynamodb:{region}:*:table/*",
}

# Actions narrowed to resources, where the service allows it.
NARROWED = {
    # API Gateway's GET and DELETE are on paths: only the APIs themselves, never the
    # API keys (/apikeys), usage plans, or anything else under the account.
    "apigateway:GET": ["arn:aws:apigateway:*::/restapis", "arn:aws:apigateway:*::/restapis/*",
                       "arn:aws:apigateway:*::/apis", "arn:aws:apigateway:*::/apis/*"],
    "apigateway:DELETE": ["arn:aws:apigateway:*::/restapis/*", "arn:aws:apigateway:*::/apis/*"],
    # Force disables termination protection of instances: not of volumes or groups.
    "ec2:ModifyInstanceAttribute": ["arn:aws:ec2:*:*:instance/*"],
}

# Services with one global endpoint: every request to them is in us-east-1 (or, for
# some, us-west-2) whatever it touches, so an aws:RequestedRegion guard cannot hold
# them (IAM User Guide, "AWS: Denies access to AWS based on the requested Region",
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_deny-requested-region.html).
# The member role grants none of them.
GLOBAL_SERVICES = frozenset({
    "iam", "sts", "organizations", "cloudfront", "route53", "route53domains",
    "globalaccelerator", "waf", "shield", "budgets", "ce", "support", "health",
    "account", "artifact", "trustedadvisor", "networkmanager", "importexport",
    "chatbot", "devicefarm",
})


def is_read(action: str) -> bool:
    """A plain read of metadata (describe, list, get), not customer data."""
    if action in OUTSIDE_ONLY_READS or action in NEVER_GRANTED:
        return False
    return action in _READ_ACTIONS or action.split(":", 1)[1].startswith(_READ_VERBS)


def region_guarded(action: str) -> bool:
    """Denied in every allowed region (and not one of the named exceptions)."""
    return not is_read(action) and action not in REPLICA_REMOVALS


def _allowed(regions: Iterable[str]) -> dict:
    return {"StringEquals": {"aws:RequestedRegion": sorted(regions)}}


def minified(document: dict) -> str:
    """A policy as IAM counts its size: no whitespace outside strings."""
    return json.dumps(document, separators=(",", ":"))


def member_policies(actions: Iterable[str], regions: Iterable[str],
                    dry_run: bool = False) -> list[dict]:
    """The member role's managed policy documents, each at most
    MANAGED_POLICY_MAX_CHARS: the read ones (all the dry-run role holds) and, for the
    prod role, the write ones (chalicelib.member_policy)."""
    from chalicelib import member_policy

    reads, writes = member_policy.split(actions, regions)
    return reads if dry_run else reads + writes


def reaper_policy(stage: str = "prod") -> dict:
    """The inline policy of the Lambda functions of ``stage``: logs, the verdict
    table (and the breaker's items in it), the Slack parameter, the scan queue, and
    the member role of the stage (``dev`` is dry run: the role with no deletes)."""
    role = DRY_RUN_ROLE if stage == "dev" else MEMBER_ROLE
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Logs", "Effect": "Allow", "Action": list(_LOGS),
             "Resource": "arn:*:logs:*:*:*"},
            # The verdict log, and the breaker's counters in the same table.
            {"Sid": "VerdictLog", "Effect": "Allow",
             "Action": ["dynamodb:BatchGetItem", "dynamodb:DeleteItem", "dynamodb:GetItem",
                        "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
             "Resource": "arn:*:dynamodb:*:*:table/monocyte-verdicts*"},
            {"Sid": "SlackWebhook", "Effect": "Allow", "Action": ["ssm:GetParameter"],
             "Resource": "arn:*:ssm:*:*:parameter/monocyte/*"},
            # Every account, the central one included, is acted on through its role.
            {"Sid": "MemberAccounts", "Effect": "Allow", "Action": ["sts:AssumeRole"],
             "Resource": f"arn:*:iam::*:role/{role}"},
            {"Sid": "ScanQueue", "Effect": "Allow",
             "Action": ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
                        "sqs:ReceiveMessage", "sqs:SendMessage"],
             "Resource": "arn:*:sqs:*:*:monocyte-scan*"},
            # The monthly report: written to the reports bucket, nowhere else.
            {"Sid": "ReportBucket", "Effect": "Allow", "Action": ["s3:PutObject"],
             "Resource": "arn:*:s3:::monocyte-reports-*/reports/*"},
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
