"""The organization-wide CloudFormation templates, generated from the registry.

``render(name, settings)`` returns one template as a dict (JSON-serialisable):

- ``forwarders``: for one (account, region), deployed by a service-managed StackSet
  to every account and enabled region. A rule "monocyte-forward" on the default bus
  with the ``reap`` handler's own event pattern, whose target is the central
  account's default bus in the home region, and the role EventBridge assumes to put
  the events there. Nothing is created in the central account's home region, where
  the reaper's own rule already sees the events.
- ``member-role``: the role the central reaper assumes in every member account
  (deployed once per account: IAM is global), allowed exactly the registry's actions.
- ``central``: for the central account's home region: the bus policy admitting the
  organization's forwarders, the scan queue with its dead-letter queue, and the
  verdict table.
- ``scp``: a service control policy denying everything outside the allowed regions
  (except the global services and Monocyte's own roles).
- ``verdicts``: the verdict table alone (merged into ``chalice package``).

Deploy-time values (account and organization ids, role names) are CloudFormation
parameters; what Monocyte itself decides (event pattern, actions, allowed regions)
comes from the registry and the settings, so the templates cannot drift from the code.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from chalicelib import audit, limits, registry
from chalicelib.config import Settings

NAMES = ("forwarders", "member-role", "central", "scp", "verdicts")

FORWARD_RULE = "monocyte-forward"
SCAN_QUEUE = "monocyte-scan"
SCAN_DLQ = "monocyte-scan-dlq"
DEFAULT_MEMBER_ROLE = "monocyte-member"
DRY_RUN_MEMBER_ROLE = "monocyte-member-dryrun"  # the dev stage's: no deletes
DEFAULT_CENTRAL_TABLE = "monocyte-verdicts-prod"
# Without a setting or --table: the prod stage's table (.chalice/config.json), the
# one `chalice package --stage prod` writes to; a name of no stage would be an orphan.
DEFAULT_VERDICTS_TABLE = DEFAULT_CENTRAL_TABLE
DEFAULT_EXEMPT_ROLE = "arn:aws:iam::*:role/monocyte-*"
# The role a service-managed StackSet acts as in its target accounts: it must be able
# to create the forwarders in the regions the SCP denies, and Monocyte's own roles.
STACKSETS_EXEC_ROLE = "arn:aws:iam::*:role/stacksets-exec-*"
# The roles that create StackSet instances (service-managed, self-managed) and Control
# Tower's: the only creators whose stacks are protected (config.BUILTIN_PROTECTED),
# so nobody else may create or change a role of these names, nor a stack named like
# a stack instance.
EXECUTION_ROLES = (
    STACKSETS_EXEC_ROLE,
    "arn:aws:iam::*:role/AWSCloudFormationStackSetExecutionRole",
    "arn:aws:iam::*:role/AWSControlTowerExecution",
)
FORWARDER_ROLE = "monocyte-forwarder-${AWS::Region}"  # a monocyte-* name: the SCP guards it

# Where the events that ``reap`` could not take land (its on-failure destination): a
# flood throttled beyond the reserved concurrency for longer than the event may wait,
# or an event whose every try failed. The nightly summary reports them.
REAP_DLQ = "monocyte-reap-dlq"
# Lambda keeps a throttled asynchronous event and retries it for up to six hours (the
# maximum), and retries a failed one twice: then it goes to the queue, never nowhere.
# https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
REAP_MAX_EVENT_AGE_SECONDS = 6 * 3600
REAP_RETRY_ATTEMPTS = 2
# Chalice's logical ids in ``chalice package`` output (CamelCase of the handler names).
_REAP_FUNCTION, _REAP_ROLE, _SUMMARY_ROLE = "Reap", "ReapRole", "NightlySummaryRole"
_REAP_EVENT = "ReapEvent"  # the rule Chalice declares as the function's event source
_SCAN_FUNCTION = "ScanUnit"  # app.py's scan_unit: Chalice names its queue by a bare ARN

# The scan Lambda may run 900 s; a message must stay invisible a little longer.
SCAN_VISIBILITY_TIMEOUT = 960
SCAN_MAX_RECEIVE_COUNT = 3
DLQ_RETENTION_SECONDS = 14 * 86400

# What the member role may do besides the registry's inspect/list/delete actions.
MEMBER_EXTRA_ACTIONS = (
    "ec2:DescribeRegions",  # the scan asks which regions the account has enabled
    "events:DescribeRule",  # the doctor checks that the forwarder is in place,
    "events:ListTargetsByRule",  # that it sends to the central bus,
    "iam:GetRole",  # and that its role may put events there (chalicelib.doctor)
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
)

# The fire drill (``monocyte doctor --drill``): the member role may create only empty
# SQS queues named monocyte-drill-..., and remove one the reaper did not kill. A
# statement of its own, so whoever splits the member role's policy keeps it whole.
DRILL_QUEUE_PREFIX = "monocyte-drill-"
DRILL_STATEMENT = {
    "Sid": "FireDrill",
    "Effect": "Allow",
    "Action": ["sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes",
               "sqs:GetQueueUrl"],
    "Resource": {"Fn::Sub": "arn:${AWS::Partition}:sqs:*:${AWS::AccountId}:"
                            + DRILL_QUEUE_PREFIX + "*"},
}

# The largest service control policy (AWS's quota, named in chalicelib.limits).
SCP_MAX_CHARS = limits.SCP_MAX_CHARS

# The global services (or single operations) that must keep working whatever the
# requested region: their endpoints live in us-east-1 (or answer for every region).
# This is the NotAction list of AWS's own example "Deny access to AWS based on the
# requested AWS Region" (AWS Organizations User Guide, General examples, SCP
# "DenyAllOutsideEU"; awsdocs/aws-organizations-docs,
# doc_source/orgs_manage_policies_scps_examples_general.md), with the entries the
# later revision of that page adds (Route 53 ARC, S3 Multi-Region Access Points).
# AWS itself says the list may not hold every newer global service: extend it here.
SCP_GLOBAL_ACTIONS = (
    "a4b:*",
    "acm:*",
    "aws-marketplace-management:*",
    "aws-marketplace:*",
    "aws-portal:*",
    "budgets:*",
    "ce:*",
    "chime:*",
    "cloudfront:*",
    "config:*",
    "cur:*",
    "directconnect:*",
    "ec2:DescribeRegions",
    "ec2:DescribeTransitGateways",
    "ec2:DescribeVpnGateways",
    "fms:*",
    "globalaccelerator:*",
    "health:*",
    "iam:*",
    "importexport:*",
    "kms:*",
    "mobileanalytics:*",
    "networkmanager:*",
    "organizations:*",
    "pricing:*",
    "route53-recovery-cluster:*",
    "route53-recovery-control-config:*",
    "route53-recovery-readiness:*",
    "route53:*",
    "route53domains:*",
    "s3:GetAccountPublic*",
    "s3:ListAllMyBuckets",
    "s3:ListMultiRegionAccessPoints",
    "s3:PutAccountPublic*",
    "shield:*",
    "sts:*",
    "support:*",
    "supportplans:*",
    "trustedadvisor:*",
    "waf-regional:*",
    "waf:*",
    "wafv2:*",
    "wellarchitected:*",
)

# The changes nobody but a StackSet (or the central account) may make to an exempt
# role: otherwise anyone able to create a role called monocyte-anything, or to edit
# the trust of monocyte-member, could use it to escape the region deny.
# (AWS's example "Prevent IAM users and roles from making specified changes, with an
# exception for a specified admin role", plus the role-creating actions.)
SCP_ROLE_CHANGES = (
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)

_VERSION = "2010-09-09"
_ACCOUNT_ID = {"Type": "String", "AllowedPattern": r"^\d{12}$",
               "ConstraintDescription": "a 12-digit AWS account id"}
_ROLE_NAME = {"Type": "String", "AllowedPattern": r"^[\w+=,.@-]{1,64}$",
              "ConstraintDescription": "an IAM role name"}


def _param(base: dict, description: str, default: Any = None) -> dict:
    param = dict(base, Description=description)
    if default is not None:
        param["Default"] = default
    return param


def _sub(text: str) -> dict:
    return {"Fn::Sub": text}


def _ref(name: str) -> dict:
    return {"Ref": name}


# The central account's default bus in the home region: where every forwarder sends.
_CENTRAL_BUS = "arn:${AWS::Partition}:events:${HomeRegion}:${CentralAccountId}:event-bus/default"


def member_actions() -> list[str]:
    """The actions of the member role: the registry's, what scan and doctor ask, and
    the generic layer's (Cloud Control's and its types' handlers', with the safe
    wildcards of chalicelib.generic.permissions)."""
    from chalicelib.generic import permissions

    return sorted({*registry.iam_actions(), *MEMBER_EXTRA_ACTIONS,
                   *permissions.member_actions()})


def forwarders(settings: Settings) -> dict:
    """The forwarding rule of one (account, region), for a service-managed StackSet."""
    forward = "Forward"
    return {
        "AWSTemplateFormatVersion": _VERSION,
        "Description": "Monocyte forwarder: sends the create calls of this account and "
                       "region to the central account's default bus in the home region",
        "Parameters": {
            "CentralAccountId": _param(_ACCOUNT_ID, "The account that runs the reaper"),
            "HomeRegion": _param({"Type": "String", "AllowedPattern": r"^[a-z]{2}(-[a-z]+)+-\d$"},
                                 "The region where the reaper runs",
                                 settings.home_region or "eu-central-1"),
        },
        "Conditions": {
            # The reaper's own rule sees the events of its account and region.
            "IsCentralHome": {"Fn::And": [
                {"Fn::Equals": [_ref("AWS::AccountId"), _ref("CentralAccountId")]},
                {"Fn::Equals": [_ref("AWS::Region"), _ref("HomeRegion")]},
            ]},
            forward: {"Fn::Not": [{"Condition": "IsCentralHome"}]},
        },
        "Resources": {
            # IAM is global while the StackSet deploys per region: each region's
            # stack instance gets its own role, named after the region.
            "ForwarderRole": {
                "Type": "AWS::IAM::Role",
                "Condition": forward,
                "Properties": {
                    # Named so that the SCP's guard of monocyte-* keeps it out of
                    # anyone else's hands; one per region (IAM is global).
                    "RoleName": _sub(FORWARDER_ROLE),
                    "Description": _sub("Lets EventBridge in ${AWS::Region} forward create "
                                        "calls to the Monocyte central bus"),
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {
                                # Only this account's forwarding rule: for event bus
                                # rule targets EventBridge sets aws:SourceArn to the rule
                                # ARN (EventBridge guide, confused deputy prevention).
                                "StringEquals": {"aws:SourceAccount": _ref("AWS::AccountId")},
                                "ArnEquals": {"aws:SourceArn": _sub(
                                    "arn:${AWS::Partition}:events:${AWS::Region}:"
                                    "${AWS::AccountId}:rule/" + FORWARD_RULE)},
                            },
                        }],
                    },
                    "Policies": [{
                        "PolicyName": "put-events-central-bus",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [{
                                "Effect": "Allow",
                                "Action": "events:PutEvents",
                                "Resource": _sub(_CENTRAL_BUS),
                            }],
                        },
                    }],
                },
            },
            "ForwardRule": {
                "Type": "AWS::Events::Rule",
                "Condition": forward,
                "Properties": {
                    "Name": FORWARD_RULE,
                    "Description": "Monocyte: forward create calls to the central account",
                    "EventBusName": "default",
                    "State": "ENABLED",
                    "EventPattern": registry.event_pattern(settings),
                    "Targets": [{
                        "Id": "monocyte-central-bus",
                        "Arn": _sub(_CENTRAL_BUS),
                        "RoleArn": {"Fn::GetAtt": ["ForwarderRole", "Arn"]},
                    }],
                },
            },
            # A stack must create at least one resource; in the central account's home
            # region this costless handle is the only one.
            "NothingToForward": {
                "Type": "AWS::CloudFormation::WaitConditionHandle",
                "Condition": "IsCentralHome",
            },
        },
        "Outputs": {
            "ForwardRuleArn": {"Condition": forward,
                               "Value": {"Fn::GetAtt": ["ForwardRule", "Arn"]}},
        },
    }


def _trust(pattern_param: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            # The central account, narrowed to the reaper's roles: Chalice gives each
            # function its own role, and a trust policy that names a role must wait
            # for that role to exist.
            "Principal": {"AWS": _sub("arn:${AWS::Partition}:iam::${CentralAccountId}:root")},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:PrincipalOrgID": _ref("OrganizationId")},
                "ArnLike": {"aws:PrincipalArn": _sub(
                    "arn:${AWS::Partition}:iam::${CentralAccountId}:role/${" + pattern_param
                    + "}")}},
        }],
    }


def member_role(settings: Settings) -> dict:
    """The roles the central reaper assumes in every account, the central one too
    (once per account): ``monocyte-member`` for the prod stage, whose every
    destructive action is denied in the allowed regions, and
    ``monocyte-member-dryrun`` for the dev stage, with no destructive action at all.
    Their permissions are customer-managed policies cut to IAM's size quota
    (chalicelib.iam)."""
    from chalicelib import member_policy

    resources: dict[str, Any] = {}
    # The read policies are attached to both roles: written once in the template.
    reads, writes = member_policy.split(member_actions(), settings.allowed_regions)
    read_names = []
    for n, document in enumerate(reads, 1):
        read_names.append(f"MemberReadPolicy{n}")
        resources[read_names[-1]] = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
            "Description": f"Monocyte member roles, reads ({n} of {len(reads)}): list and "
                           "describe, no customer data",
            "PolicyDocument": document}}
    for logical, role_name, pattern, dry_run, what in (
            ("MemberRole", "MemberRoleName", "ReaperRolePattern", False,
             "list, describe and delete outside the allowed regions"),
            ("DryRunRole", "DryRunRoleName", "DryRunReaperRolePattern", True,
             "list and describe only (the dry-run stage)")):
        names = list(read_names)
        for n, document in enumerate([] if dry_run else writes, 1):
            names.append(f"{logical}Policy{n}")
            resources[names[-1]] = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
                "Description": f"Monocyte {logical} ({n} of {len(writes)}): deletes and "
                               "what they need, denied in the allowed regions",
                "PolicyDocument": document}}
        if not dry_run:
            # The fire drill (doctor --drill) may make and remove only its own queues.
            names.append(f"{logical}DrillPolicy")
            resources[names[-1]] = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
                "Description": "Monocyte fire drill: only monocyte-drill-* queues",
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                    DRILL_STATEMENT,
                    # Drills run only outside the allowed regions; so may their queues.
                    {"Sid": "FireDrillNothingInAllowedRegions", "Effect": "Deny",
                     "Action": ["sqs:CreateQueue", "sqs:DeleteQueue"], "Resource": "*",
                     "Condition": {"StringEquals": {
                         "aws:RequestedRegion": sorted(settings.allowed_regions)}}}]}}}
        resources[logical] = {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": _ref(role_name),
                "Description": f"Assumed by the Monocyte reaper in the central account: {what}",
                "AssumeRolePolicyDocument": _trust(pattern),
                "ManagedPolicyArns": [_ref(name) for name in names],
            },
        }
    return {
        "AWSTemplateFormatVersion": _VERSION,
        "Description": "Monocyte member roles: what the central reaper may do in this account",
        "Parameters": {
            "CentralAccountId": _param(_ACCOUNT_ID, "The account that runs the reaper"),
            "OrganizationId": _param(
                {"Type": "String", "AllowedPattern": r"^o-[a-z0-9]{10,32}$",
                 "ConstraintDescription": "an organization id (o-...)"},
                "The organization (aws:PrincipalOrgID) the reaper belongs to"),
            "MemberRoleName": _param(_ROLE_NAME, "The prod role (MONOCYTE_MEMBER_ROLE)",
                                     settings.member_role or DEFAULT_MEMBER_ROLE),
            "DryRunRoleName": _param(_ROLE_NAME, "The dev (dry-run) role, without deletes",
                                     DRY_RUN_MEMBER_ROLE),
            "ReaperRolePattern": _param(
                {"Type": "String", "AllowedPattern": r"^[\w+=,.@*-]{1,64}$"},
                "Name pattern of the prod stage's reaper roles in the central account "
                "(Chalice names them APP-STAGE-FUNCTION)", "monocyte-prod*"),
            "DryRunReaperRolePattern": _param(
                {"Type": "String", "AllowedPattern": r"^[\w+=,.@*-]{1,64}$"},
                "Name pattern of the reaper roles that may use the dry-run role",
                "monocyte-*"),
        },
        "Resources": resources,
        "Outputs": {"MemberRoleArn": {"Value": {"Fn::GetAtt": ["MemberRole", "Arn"]}},
                    "DryRunRoleArn": {"Value": {"Fn::GetAtt": ["DryRunRole", "Arn"]}}},
    }


def central(settings: Settings) -> dict:
    """The central account's home region: bus policy, scan queue, verdict table."""
    resources: dict[str, Any] = {
        "OrganizationBusPolicy": {
            "Type": "AWS::Events::EventBusPolicy",
            "Properties": {
                "EventBusName": "default",
                "StatementId": "monocyte-organization-forwarders",
                "Statement": {
                    "Sid": "monocyte-organization-forwarders",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "events:PutEvents",
                    "Resource": _sub("arn:${AWS::Partition}:events:${AWS::Region}:"
                                     "${AWS::AccountId}:event-bus/default"),
                    "Condition": {"StringEquals": {
                        "aws:PrincipalOrgID": _ref("OrganizationId")}},
                },
            },
        },
        "ScanDeadLetterQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": SCAN_DLQ,
                "MessageRetentionPeriod": DLQ_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
            },
        },
        "ScanQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": SCAN_QUEUE,
                "VisibilityTimeout": SCAN_VISIBILITY_TIMEOUT,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": ["ScanDeadLetterQueue", "Arn"]},
                    "maxReceiveCount": SCAN_MAX_RECEIVE_COUNT,
                },
            },
        },
    }
    resources["ReapDeadLetterQueue"] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "QueueName": REAP_DLQ,
            "MessageRetentionPeriod": DLQ_RETENTION_SECONDS,
            "SqsManagedSseEnabled": True,
        },
    }
    resources.update(audit.template(_ref("VerdictTableName"))["Resources"])  # type: ignore[arg-type]
    from chalicelib import report_store  # the monthly report's bucket (issue 15)

    resources["ReportBucket"] = report_store.template()
    return {
        "AWSTemplateFormatVersion": _VERSION,
        "Description": "Monocyte central account, home region: the organization's bus "
                       "policy, the scan queue and the verdict log",
        "Parameters": {
            "OrganizationId": _param(
                {"Type": "String", "AllowedPattern": r"^o-[a-z0-9]{10,32}$",
                 "ConstraintDescription": "an organization id (o-...)"},
                "Only principals of this organization may put events on the bus"),
            "VerdictTableName": _param(
                {"Type": "String", "AllowedPattern": r"^[a-zA-Z0-9_.-]{3,255}$"},
                "The verdict table (MONOCYTE_AUDIT_TABLE)",
                settings.audit_table or DEFAULT_CENTRAL_TABLE),
            "ReportRetentionDays": report_store.PARAMETER,
        },
        "Resources": resources,
        "Outputs": {
            "ScanQueueUrl": {"Value": _ref("ScanQueue")},
            "ScanQueueArn": {"Value": {"Fn::GetAtt": ["ScanQueue", "Arn"]}},
            "ScanDeadLetterQueueUrl": {"Value": _ref("ScanDeadLetterQueue")},
            "ScanDeadLetterQueueArn": {"Value": {"Fn::GetAtt": ["ScanDeadLetterQueue", "Arn"]}},
            "VerdictTableName": {"Value": _ref("VerdictTable")},
            "ReapDeadLetterQueueUrl": {"Value": _ref("ReapDeadLetterQueue")},
            "ReapDeadLetterQueueArn": {"Value": {"Fn::GetAtt": ["ReapDeadLetterQueue", "Arn"]}},
            "ReportBucketName": {"Value": _ref("ReportBucket")},
        },
    }


def chalice_merge(settings: Settings) -> dict:
    """``central``, plus what only the merged ``chalice package`` output can hold (it
    names Chalice's own resources, so it is not a template on its own): the ``reap``
    function's on-failure destination, and the rights to use the queue. Chalice
    itself has no setting for either (aws/chalice#967); ``--merge-template`` deep-merges
    these keys into its function and adds the policies."""
    template = central(settings)
    dlq_arn = {"Fn::GetAtt": ["ReapDeadLetterQueue", "Arn"]}
    template["Resources"].update({
        # Chalice's SQS trigger names monocyte-scan by an Fn::Sub ARN, no reference:
        # without this CloudFormation may map the function before the queue exists.
        _SCAN_FUNCTION: {"DependsOn": ["ScanQueue"]},
        _REAP_FUNCTION: {"Properties": {
            "EventInvokeConfig": {
                "MaximumEventAgeInSeconds": REAP_MAX_EVENT_AGE_SECONDS,
                "MaximumRetryAttempts": REAP_RETRY_ATTEMPTS,
                # SAM's form: its extra "Type" says what the destination is.
                "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": dlq_arn}},
            },
            # And what EventBridge could not hand to Lambda at all (the function or its
            # permission gone): the rule target's dead-letter queue, the same queue.
            "Events": {_REAP_EVENT: {"Properties": {"DeadLetterConfig": {"Arn": dlq_arn}}}},
        }},
        "ReapDeadLetterQueuePolicy": {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [_ref("ReapDeadLetterQueue")],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "EventBridgeDeadLetters", "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage", "Resource": dlq_arn,
                # The rules of this account: SAM names reap's rule after the stack.
                "Condition": {"ArnLike": {"aws:SourceArn": _sub(
                    "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/*")}},
            }]}}},
        # Lambda sends the invocation record with the function's own role.
        "ReapDeadLetterAccess": _queue_policy("monocyte-reap-dlq-send", _REAP_ROLE, dlq_arn,
                                              ["sqs:SendMessage"]),
        # The nightly summary looks at what landed there, without taking it.
        "SummaryDeadLetterAccess": _queue_policy(
            "monocyte-reap-dlq-read", _SUMMARY_ROLE, dlq_arn,
            ["sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:GetQueueAttributes"]),
    })
    return template


def _queue_policy(name: str, role: str, queue_arn: dict, actions: list[str]) -> dict:
    return {"Type": "AWS::IAM::Policy", "Properties": {
        "PolicyName": name, "Roles": [_ref(role)],
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": actions, "Resource": queue_arn}]}}}


def scp_document(settings: Settings, exempt_role_arn: Any = DEFAULT_EXEMPT_ROLE,
                 central_account_id: Any = None) -> dict:
    """The service control policy: deny every action outside the allowed regions,
    except the global services and Monocyte's own roles (which must reach the
    resources it kills), and keep those roles out of anyone else's hands.

    ``exempt_role_arn`` and ``central_account_id`` may be CloudFormation references
    (the ``scp`` template does that). Without ``central_account_id`` nobody but a
    StackSet may create or change an exempt role.
    """
    not_executors: dict[str, Any] = {"ArnNotLike": {"aws:PrincipalARN": list(EXECUTION_ROLES)}}
    if central_account_id is not None:
        not_executors["StringNotEquals"] = {"aws:PrincipalAccount": central_account_id}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyAllOutsideAllowedRegions",
                "Effect": "Deny",
                "NotAction": list(SCP_GLOBAL_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "StringNotEquals": {"aws:RequestedRegion": sorted(settings.allowed_regions)},
                    "ArnNotLike": {"aws:PrincipalARN": [exempt_role_arn, STACKSETS_EXEC_ROLE]},
                },
            },
            {
                # Monocyte's roles (the member roles, the forwarders') and the
                # execution roles whose stacks are protected: nobody else may create
                # or change them, so nobody can pose as them.
                "Sid": "ProtectReservedRoles",
                "Effect": "Deny",
                "Action": list(SCP_ROLE_CHANGES),
                "Resource": [exempt_role_arn, *EXECUTION_ROLES],
                "Condition": not_executors,
            },
            {
                # A stack named like a StackSet instance comes from a StackSet.
                "Sid": "ReservedStackNames",
                "Effect": "Deny",
                "Action": ["cloudformation:CreateStack"],
                "Resource": "arn:aws:cloudformation:*:*:stack/StackSet-*/*",
                "Condition": {"ArnNotLike": {"aws:PrincipalARN": list(EXECUTION_ROLES)}},
            },
        ],
    }


def minified(document: dict) -> str:
    """A policy as AWS counts its size: no whitespace outside strings."""
    return json.dumps(document, separators=(",", ":"))


def scp(settings: Settings) -> dict:
    """The region-deny SCP as a CloudFormation template (management account)."""
    return {
        "AWSTemplateFormatVersion": _VERSION,
        "Description": "Monocyte: deny every action outside the allowed regions "
                       f"({', '.join(sorted(settings.allowed_regions))})",
        "Parameters": {
            "CentralAccountId": _param(
                _ACCOUNT_ID, "The account that runs the reaper (may manage Monocyte's roles)"),
            "ExemptRoleArnPattern": _param(
                {"Type": "String"},
                "The roles that may act outside the allowed regions (Monocyte's own)",
                DEFAULT_EXEMPT_ROLE),
            "TargetIds": _param(
                {"Type": "CommaDelimitedList"},
                "Roots, OUs or accounts to attach the policy to (r-..., ou-..., or "
                "account ids); empty: attach it yourself", ""),
        },
        "Conditions": {
            "HasTargets": {"Fn::Not": [{"Fn::Equals": [
                {"Fn::Join": ["", _ref("TargetIds")]}, ""]}]},
        },
        "Resources": {
            "RegionDenyPolicy": {
                "Type": "AWS::Organizations::Policy",
                "Properties": {
                    "Name": "monocyte-region-deny",
                    "Description": "Deny every action outside the allowed regions",
                    "Type": "SERVICE_CONTROL_POLICY",
                    "Content": scp_document(settings, _ref("ExemptRoleArnPattern"),
                                            _ref("CentralAccountId")),
                    "TargetIds": {"Fn::If": ["HasTargets", _ref("TargetIds"),
                                             _ref("AWS::NoValue")]},
                },
            },
        },
        "Outputs": {"PolicyId": {"Value": {"Fn::GetAtt": ["RegionDenyPolicy", "Id"]}}},
    }


def verdicts(settings: Settings, table: str | None = None) -> dict:
    """The verdict table alone, to merge into ``chalice package``."""
    return audit.template(table or settings.audit_table or DEFAULT_VERDICTS_TABLE)


_RENDERERS: dict[str, Callable[[Settings], dict]] = {
    "forwarders": forwarders,
    "member-role": member_role,
    "central": central,
    "scp": scp,
    "verdicts": verdicts,
}


def render(name: str, settings: Settings, *, table: str | None = None) -> dict:
    """The template called ``name`` (one of NAMES). ``table`` names the verdict table
    of ``verdicts`` (default: the setting, else the prod stage's table)."""
    if name not in _RENDERERS:
        raise KeyError(f"unknown template {name!r} (one of {', '.join(NAMES)})")
    if name == "verdicts":
        return verdicts(settings, table)
    return _RENDERERS[name](settings)
