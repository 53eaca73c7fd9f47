"""CloudTrail events as EventBridge delivers them: a typed wrapper and target extraction.

Reading an event needs no AWS call. :func:`triage` says why an event is ignored;
:func:`targets` lists the resources a create call made, placed in their region and
account.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any

from chalicelib import registry
from chalicelib.config import known_regions
from chalicelib.errors import EventError

_ACCOUNT = re.compile(r"[0-9]{12}")  # ASCII: \d also matches other scripts' digits
_MAX_ID = 2048


def json_kind(value: Any) -> str:
    """What a JSON value is, with its article, in JSON's words ('a number')."""
    for kind, words in ((bool, "a boolean"), ((int, float), "a number"), (str, "a string"),
                        (list, "an array"), (dict, "an object")):
        if isinstance(value, kind):
            return words
    return "null" if value is None else f"a {type(value).__name__}"


def _str_or_none(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise EventError(f"event field {name} is {json_kind(value)}, not a string")


class CloudTrailEvent:
    """Read-only view of one 'AWS API Call via CloudTrail' event.

    Fields the decision depends on are checked when the event is wrapped, so a
    malformed event fails here, once, with one line that says what is wrong.
    """

    def __init__(self, raw: Any):
        if not isinstance(raw, dict):
            raise EventError(f"event is {json_kind(raw)}, not a JSON object")
        self.raw = raw
        self.detail_type = _str_or_none(raw.get("detail-type"), "detail-type")
        self.source = _str_or_none(raw.get("source"), "source")
        self.envelope_account = _str_or_none(raw.get("account"), "account")
        self.envelope_region = _str_or_none(raw.get("region"), "region")
        detail = raw.get("detail")
        if self.is_cloudtrail_call and not isinstance(detail, dict):
            raise EventError("event has no detail object")
        self.detail: dict = detail if isinstance(detail, dict) else {}
        d = self.detail
        self.event_source = _str_or_none(d.get("eventSource"), "detail.eventSource")
        self.event_name = _str_or_none(d.get("eventName"), "detail.eventName")
        self.aws_region = _str_or_none(d.get("awsRegion"), "detail.awsRegion")
        self.recipient_account = _str_or_none(d.get("recipientAccountId"),
                                              "detail.recipientAccountId")
        self.event_time = _str_or_none(d.get("eventTime"), "detail.eventTime")
        self.event_id = _str_or_none(d.get("eventID"), "detail.eventID")
        error = d.get("errorCode")
        self.error_code = None if error in (None, "") else str(error)
        read_only = d.get("readOnly")
        self.read_only = read_only is True or str(read_only).lower() == "true"
        if self.is_cloudtrail_call and not (self.event_source and self.event_name):
            raise EventError("event detail lacks eventSource or eventName")

    @property
    def is_cloudtrail_call(self) -> bool:
        return self.detail_type == registry.CLOUDTRAIL_DETAIL_TYPE

    @property
    def account(self) -> str | None:
        return self.recipient_account or self.envelope_account

    @property
    def user_arn(self) -> str | None:
        identity = self.detail.get("userIdentity")
        if isinstance(identity, dict) and isinstance(identity.get("arn"), str):
            return identity["arn"]
        return None

    @property
    def name(self) -> str:
        return f"{self.event_source}:{self.event_name}"


# Where an event's EventBridge source is not aws.<first label of its eventSource>.
# Unconfirmed against a real trail beyond these (docs/cloudtrail-shapes.md); a
# mismatch is ignored and logged, never acted on.
SOURCE_EXCEPTIONS = {
    "monitoring.amazonaws.com": "aws.cloudwatch",
    "api.sagemaker.amazonaws.com": "aws.sagemaker",
}


def expected_source(event_source: str) -> str:
    return SOURCE_EXCEPTIONS.get(event_source, "aws." + event_source.split(".", 1)[0])


def triage(event: CloudTrailEvent) -> str | None:
    """Step 1 of the decision: why the event is ignored, or None when it is not."""
    if not event.is_cloudtrail_call:
        return f"not a CloudTrail API call (detail-type {event.detail_type!r})"
    if not (event.source or "").startswith("aws."):
        return f"source {event.source!r} is not an AWS service"
    if event.source != expected_source(event.event_source):
        # Only the service itself publishes aws.X; a record whose source and
        # eventSource disagree was not delivered by CloudTrail as it stands.
        return (f"source {event.source!r} does not match eventSource "
                f"{event.event_source!r}")
    if event.recipient_account and event.envelope_account and \
            event.recipient_account != event.envelope_account:
        return (f"recipientAccountId {event.recipient_account!r} differs from the "
                f"envelope's account {event.envelope_account!r}")
    if event.error_code:
        return f"{event.name} failed with {event.error_code}"
    if event.read_only:
        return f"{event.name} is read-only"
    from chalicelib.uncovered import DEFENDERS

    if event.event_source in DEFENDERS:
        # Never killed, whatever a type claims: they are how intruders are seen.
        return f"{event.name} is a defender's ({DEFENDERS[event.event_source]})"
    if not registry.claims(event.event_source, event.event_name):
        return f"no resource type is created by {event.name}"
    return None


@dataclasses.dataclass(frozen=True)
class Target:
    """One resource named by an event (or found by a scan)."""

    type: str
    id: str
    region: str
    account: str
    event: str = ""
    creator: str | None = None
    created: str | None = None


def _ids(found: Any) -> list[str]:
    items = found if isinstance(found, list) else [found]
    ids = []
    for item in items:
        if isinstance(item, list):
            ids.extend(_ids(item))
        elif isinstance(item, str) and 0 < len(item) <= _MAX_ID:
            ids.append(item)
    return ids


def targets(event: CloudTrailEvent) -> tuple[list[Target], list[str]]:
    """Step 2: the resources the event created, and the problems that stopped some.

    A problem (no id in the record, an unknown region, no account) is not an error:
    the resource is left to the nightly scan and the problem is reported.
    """
    found: list[Target] = []
    problems: list[str] = []
    account = event.account
    if not (account and _ACCOUNT.fullmatch(account)):
        return [], [f"{event.name}: no 12-digit account in the event ({account!r})"]
    for rtype, create in registry.claims(event.event_source, event.event_name):
        if create.compiled.search(event.raw) is False:
            continue  # the record says it is another type's (see CreateEvent.ids)
        pairs = _placed(create, event)
        if not pairs:
            problems.append(f"{rtype.cfn_type}: no identifier at {create.ids}")
        for resource_id, region, *elsewhere in pairs:
            if region not in known_regions():
                problems.append(f"{rtype.cfn_type}: cannot place {resource_id!r} "
                                f"(region {region!r} is not a known region)")
                continue
            # A place may name another account (a backup copied into another
            # account's vault): the target lives there, not in the caller's. One
            # that is no account is unplaced, never taken for the caller's.
            owner = elsewhere[0] if elsewhere else account
            if not (isinstance(owner, str) and _ACCOUNT.fullmatch(owner)):
                problems.append(f"{rtype.cfn_type}: cannot place {resource_id!r} "
                                f"(account {owner!r} is not a 12-digit account)")
                continue
            found.append(Target(rtype.cfn_type, resource_id, region, owner,
                                event.name, event.user_arn, event.event_time))
    return found, problems


def _placed(create: registry.CreateEvent, event: CloudTrailEvent) -> list[tuple]:
    """Every (id, region) the event created (or (id, region, account) where a place
    names another account), in order, without repeats."""
    if create.place:
        try:
            placed = list(create.place(event.raw) or [])
        except (TypeError, KeyError, AttributeError, ValueError):
            placed = []  # a hostile or truncated record: reported as unplaced
        # A region that is not a string (a list, an object) cannot be hashed or
        # placed: dropped here, so the record is one 'no identifier' line.
        pairs = [tuple(p) for p in placed
                 if isinstance(p, (tuple, list)) and len(p) in (2, 3) and _ids(p[0]) == [p[0]]
                 and isinstance(p[1], str) and all(isinstance(a, (str, int, type(None)))
                                                   for a in p[2:])]
    else:
        try:
            region = create.region(event.raw) if create.region else event.aws_region
        except (TypeError, KeyError, AttributeError, ValueError):
            region = None  # a hostile or truncated record: reported as unplaced
        region = region if isinstance(region, str) else None  # hashed below
        pairs = [(i, region) for i in _ids(create.compiled.search(event.raw))]
    return list(dict.fromkeys(pairs))
