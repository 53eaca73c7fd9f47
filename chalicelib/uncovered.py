"""Uncovered creates: calls the pattern forwards that no registered type claims.

A successful create-style call outside the allowed regions (or a call that places
data in another region, :data:`chalicelib.pattern.CROSS_REGION_CALLS`) that no type
claims is not silently dropped: it becomes an ``uncovered`` outcome, recorded and
reported once a day per (account, region, event source, event name). Two kinds of
call are exempt, each with its reason: the defenders (security services AWS
recommends in every region) and create-style calls that make nothing worth a report.
Doubtful calls are reported, not exempted.
"""
from __future__ import annotations

import re
from typing import Any

from chalicelib import pattern, registry
from chalicelib.config import Settings, known_regions

# Security and governance services AWS recommends enabling in every region: they are
# how the organization sees an intruder, so they are neither killed nor reported.
DEFENDERS = {
    "guardduty.amazonaws.com": "GuardDuty: threat detection, recommended in every region",
    "securityhub.amazonaws.com": "Security Hub: findings aggregation in every region",
    "config.amazonaws.com": "AWS Config: recorders and rules belong in every region",
    "cloudtrail.amazonaws.com": "CloudTrail: the trail Monocyte itself depends on",
    "access-analyzer.amazonaws.com": "IAM Access Analyzer: analyzers are regional",
    "inspector2.amazonaws.com": "Inspector: vulnerability scanning per region",
    "inspector.amazonaws.com": "Inspector Classic: vulnerability scanning per region",
    "detective.amazonaws.com": "Detective: investigation graphs per region",
    "macie2.amazonaws.com": "Macie: sensitive-data discovery per region",
    "controltower.amazonaws.com": "Control Tower: the landing zone's own calls",
}
# Control Tower also acts through this role in every governed region (its StackSets
# create Config recorders, log groups, SNS topics there). The role name is protected
# by Control Tower's own guardrails; it only ever hides a report here, never a kill.
CONTROL_TOWER_ROLE = "AWSControlTowerExecution"

# Create-style calls that make no resource worth a report, each with the reason.
NOT_RESOURCES = {
    ("ec2.amazonaws.com", "CreateTags"): "tags on resources that exist already",
    ("autoscaling.amazonaws.com", "CreateOrUpdateTags"): "tags on an existing group",
    ("kms.amazonaws.com", "CreateGrant"): "a permission on an existing key, no data",
    ("kms.amazonaws.com", "CreateAlias"): "a name for an existing key in its region",
    # A stream is a part of its log group, which holds the data; CreateLogGroup is
    # reported. Services write streams at a high rate (every Lambda cold start).
    ("logs.amazonaws.com", "CreateLogStream"): "part of a log group (reported itself)",
    # S3 data events (only in trails that log them): objects inside a bucket, which is
    # judged where it lives.
    ("s3.amazonaws.com", "CreateMultipartUpload"): "an object upload into a bucket",
    ("s3.amazonaws.com", "CopyObject"): "an object copied into a bucket",
    ("s3.amazonaws.com", "CreateSession"): "S3 Express session credentials",
    # SNS data events: messages to an existing topic.
    ("sns.amazonaws.com", "Publish"): "a message to an existing topic",
    ("sns.amazonaws.com", "PublishBatch"): "messages to an existing topic",
    ("sso-oidc.amazonaws.com", "CreateToken"): "a sign-in token, not a resource",
    ("sso-oidc.amazonaws.com", "CreateTokenWithIAM"): "a sign-in token, not a resource",
    # Forwarded only because DynamoDB's UpdateTable is a cross-region call: a Keyspaces
    # table's regions are its keyspace's, reported by CreateKeyspace/UpdateKeyspace.
    ("cassandra.amazonaws.com", "UpdateTable"): "settings of a table; its regions are "
                                               "its keyspace's (reported there)",
}
# Presigned URLs (SageMaker, Athena, ...) open an existing resource; they hold nothing.
_PRESIGNED = re.compile(r"CreatePresigned")

_ARN_REGION = re.compile(r"arn:aws[\w-]*:[\w-]+:([a-z]{2}(?:-[a-z]+)+-\d):")


def exemption(event_source: str, event_name: str, detail: dict | None = None) -> str | None:
    """Why a call is never reported as uncovered, or None."""
    if event_source in DEFENDERS:
        return f"a defender: {DEFENDERS[event_source]}"
    if pattern.is_global(event_source):
        return f"{event_source} is a global service; its resources have no region"
    reason = NOT_RESOURCES.get((event_source, event_name))
    if reason:
        return f"makes no resource worth a report: {reason}"
    if _PRESIGNED.match(event_name or ""):
        return "makes no resource worth a report: a presigned URL to an existing resource"
    # Each level checked: a record whose userIdentity is not an object proves nothing.
    issuer = detail.get("userIdentity") if isinstance(detail, dict) else None
    for key in ("sessionContext", "sessionIssuer"):
        issuer = issuer.get(key) if isinstance(issuer, dict) else None
    if isinstance(issuer, dict) and issuer.get("userName") == CONTROL_TOWER_ROLE:
        return f"a defender: Control Tower's own role {CONTROL_TOWER_ROLE}"
    return None


def named_regions(value: Any) -> set[str]:
    """The known region names a request mentions: as a whole string, or in an ARN."""
    found: set[str] = set()
    stack, seen = [value], 0
    while stack and seen < 10000:  # a hostile record cannot make this run for ever
        item = stack.pop()
        seen += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and len(item) <= 2048:
            if item in known_regions():
                found.add(item)
            found.update(r for r in _ARN_REGION.findall(item) if r in known_regions())
    return found


def reason(event: Any, settings: Settings) -> str | None:
    """Why ``event`` (a CloudTrailEvent that triage ignores) is an uncovered create, or
    None when it is not one: failed, read-only, claimed, exempt, or inside the allowed
    regions."""
    if not (event.is_cloudtrail_call and (event.source or "").startswith("aws.")):
        return None
    if event.error_code or event.read_only:
        return None
    if not (event.account and re.fullmatch(r"\d{12}", event.account)):
        return None
    if event.aws_region not in known_regions():
        return None
    if registry.claims(event.event_source, event.event_name):
        return None
    if exemption(event.event_source, event.event_name, event.detail):
        return None
    what = f"no resource type covers {event.name}"
    if (event.event_source, event.event_name) in pattern.CROSS_REGION_CALLS:
        outside = sorted(r for r in named_regions(event.detail.get("requestParameters"))
                         | {event.aws_region} if not settings.allows(r))
        if outside:
            return f"{what}, which places data in {', '.join(outside)}"
        if named_regions(event.detail.get("requestParameters")):
            return None  # every region it names is allowed
        # The record names no region (an S3 replication rule names a bucket only):
        # doubtful, so reported.
        return f"{what}, which may place data in another region (the record names none)"
    if not pattern.is_create_style(event.event_name):
        return None
    if settings.allows(event.aws_region):
        return None
    return f"{what} in {event.aws_region}, outside the allowed regions"


def day_key(outcome: Any) -> str:
    """What an uncovered call is reported once a day per: account, region, call."""
    return f"{outcome.account}#{outcome.region}#{outcome.event}"
