"""AWS's quotas that Monocyte's artefacts must respect, each named once, with the page
where AWS documents it and how AWS counts it.

moto enforces none of them, so the tests (tests/test_quotas.py) measure every generated
artefact against these numbers: the ``chalice package`` output, every ``monocyte
template``, the verdict items and the queued messages. The ``*_size`` helpers measure
the way AWS counts.
"""
from __future__ import annotations

import json
from typing import Any

# EventBridge, "Event pattern size": 2,048 characters per pattern by default; adjustable
# to 4,096 only by a quota request per account and region, which cannot be counted on
# across an organization (every forwarder carries the same pattern).
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
EVENT_PATTERN_MAX_CHARS = 2_048

# IAM, "For inline policies": the sum of all inline policies of one role can't exceed
# 10,240 characters. "IAM doesn't count white space when calculating the size of a
# policy against these limits." An AWS::IAM::Policy resource naming the role is an
# inline policy of that role too.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
ROLE_INLINE_POLICIES_MAX_CHARS = 10_240

# IAM, "Role trust policy length": 2,048 characters by default (adjustable), white
# space not counted (same page).
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
ROLE_TRUST_POLICY_MAX_CHARS = 2_048

# IAM, "For managed policies": each managed policy can't exceed 6,144 characters,
# white space not counted (same page).
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
MANAGED_POLICY_MAX_CHARS = 6_144

# AWS Organizations, "Maximum size of a policy document": service control policies
# 5,120 characters in the versions of the page this was written against (the current
# revision lists 10,240; resource control policies stay at 5,120). We hold the SCP to
# the smaller number so it fits every organization. "If you save the policy using an
# SDK operation or the AWS CLI, then the policy is saved exactly as you provided":
# white space counts unless it is left out, so the SCP is always sent minified.
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
SCP_MAX_CHARS = 5_120

# CloudFormation, "Template body size in a request": 51,200 bytes (TemplateBody of
# CreateStack, CreateStackSet, UpdateStackSet; larger ones must come from S3 through
# TemplateURL, up to 1 MB). Our StackSet templates are passed as a body.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
TEMPLATE_BODY_MAX_BYTES = 51_200

# CloudFormation, "Template body size in an Amazon S3 object": 1 MB on the current
# page, 460,800 bytes on earlier versions of it; we hold the ``chalice package`` output
# (deployed from S3 by ``aws cloudformation deploy --s3-bucket``) to the smaller.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
TEMPLATE_S3_MAX_BYTES = 460_800

# Lambda, "Function environment variables": 4 KB for all environment variables of a
# function, in aggregate. AWS does not say how the bytes are counted; we count the
# variables as the JSON object the API carries (names, values, quotes and all), which
# is the larger reading.
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
LAMBDA_ENVIRONMENT_MAX_BYTES = 4_096

# SQS, "Message size": 262,144 bytes (256 KiB) is what a queue accepts by default (its
# MaximumMessageSize attribute; AWS now lets a queue be raised to 1 MiB). Our queues
# keep the default, so a message body must fit in 256 KiB. The same 256 KB is also the
# largest asynchronous Lambda invocation payload (an EventBridge event).
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
SQS_MESSAGE_MAX_BYTES = 262_144

# DynamoDB, "Item size": 400 KB, "which includes both attribute name binary length
# (UTF-8 length) and attribute value lengths (again binary length)"; 1 KB = 1,024 bytes.
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-items
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
DYNAMODB_ITEM_MAX_BYTES = 400 * 1_024


def compact(document: Any) -> str:
    """A JSON document without white space outside its strings."""
    return json.dumps(document, separators=(",", ":"))


def event_pattern_chars(pattern: Any) -> int:
    """An event pattern's size in characters, written compactly."""
    return len(compact(pattern))


def policy_chars(document: Any) -> int:
    """An IAM policy or SCP as IAM counts it: white space outside strings left out."""
    return len(compact(document))


def environment_bytes(variables: dict[str, str]) -> int:
    """A Lambda function's environment variables in aggregate (see above)."""
    return len(compact(variables).encode("utf-8"))


def template_bytes(template: Any) -> int:
    """A template body as ``monocyte template`` prints it (indented JSON)."""
    return len(json.dumps(template, indent=2).encode("utf-8"))


def dynamodb_item_bytes(item: dict[str, Any]) -> int:
    """The size DynamoDB charges an item (typed attribute values, ``{"S": ...}``),
    following AWS's item size rules; numbers are counted by their digits, which is
    never less than DynamoDB's one byte per two digits."""
    return sum(len(name.encode("utf-8")) + _value_bytes(value)
               for name, value in item.items())


def _value_bytes(value: dict[str, Any]) -> int:
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        return len(inner) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_bytes(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + _value_bytes(v) for k, v in inner.items())
    if kind in ("SS", "NS"):
        return sum(len(v.encode("utf-8")) for v in inner)
    return sum(len(v) for v in inner)


def sqs_body_bytes(body: str) -> int:
    """An SQS message body's size (UTF-8 bytes; we send no message attributes)."""
    return len(body.encode("utf-8"))


# DynamoDB, "Partition keys and sort keys": a sort key value is at most 1,024 bytes.
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-partition-sort-keys
DYNAMODB_SORT_KEY_MAX_BYTES = 1_024

# How long a cut text stays: enough to recognise it in the verdict log and Slack.
_KEPT_CHARS = 1_000
_KEPT_ITEMS = 10


def _cut_text(text: str, keep: int = _KEPT_CHARS) -> str:
    if len(text) <= keep:
        return text
    return f"{text[:keep]}… [cut {len(text) - keep} characters]"


def _cut_value(value: Any) -> Any:
    if isinstance(value, str):
        return _cut_text(value)
    if isinstance(value, (list, tuple)):
        kept = [_cut_value(v) for v in value[:_KEPT_ITEMS]]
        if len(value) > _KEPT_ITEMS:
            kept.append(f"[cut {len(value) - _KEPT_ITEMS} more]")
        return kept
    return value


def shrink(record: dict[str, Any], fits: Any, cuttable: tuple[str, ...],
           last_resort: tuple[str, ...] = ()) -> tuple[dict[str, Any], list[str]]:
    """``record`` made to fit (``fits(record)`` true) by cutting the ``cuttable`` fields,
    in that order, to their first characters (lists to their first items); then, only
    if that is not enough, the ``last_resort`` fields. Returns the record and the names
    of the fields cut; the other fields are never touched. When even that does not fit,
    the caller decides (``fits`` is still false for what is returned)."""
    record = dict(record)
    cut: list[str] = []
    for name in (*cuttable, *last_resort):
        if fits(record):
            break
        if name in record and _cut_value(record[name]) != record[name]:
            record[name] = _cut_value(record[name])
            cut.append(name)
    return record, cut
