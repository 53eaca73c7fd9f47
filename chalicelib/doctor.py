"""``monocyte doctor``: are the forwarders and member roles where the reaper needs them?

For every account and every enabled region outside the allowed set (where a kill can
be needed), the forwarding rule must exist with the current pattern, be enabled, send
to the central account's default bus in the home region, through a role that exists,
that EventBridge may assume, and whose policies allow ``events:PutEvents`` on that bus;
and the member role must be assumable. A forwarder that is there but cut (its target
or its role removed) forwards nothing: it is a hole like a missing one. Each hole is
reported; nothing is changed. ``monocyte doctor --drill`` (chalicelib.drill) then
proves the whole path, CloudTrail included.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import urllib.parse
from typing import Any

import boto3

from chalicelib import fleet, permits, registry, scan, text
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.errors import AwsError, NotFound, aws_errors
from chalicelib.templates import FORWARD_RULE

OK = "ok"
HOLE = "hole"

_NO_RULE = ("ResourceNotFoundException",)
_NO_ROLE = ("NoSuchEntity", "NoSuchEntityException")


@dataclasses.dataclass(frozen=True)
class Finding:
    account: str
    region: str
    check: str
    status: str
    detail: str


def central_bus(settings: Settings, clients: Clients) -> str:
    """The bus every forwarder must send to: the central account's default bus in the
    home region (where the ``reap`` rule listens)."""
    partition = boto3.session.Session().get_partition_for_region(settings.home_region)
    return (f"arn:{partition}:events:{settings.home_region}:{clients.own_account()}:"
            "event-bus/default")


class _Hole(Exception):
    """One forwarder check failed; its message is the finding's detail."""


def _rule(events: Any) -> dict:
    try:
        with aws_errors(not_found=_NO_RULE):
            rule = events.describe_rule(Name=FORWARD_RULE)
    except NotFound:
        raise _Hole(f"no rule {FORWARD_RULE}: add this region to the forwarders StackSet")
    except AwsError as error:
        raise _Hole(f"cannot read the rule: {error}")
    try:
        pattern = json.loads(rule.get("EventPattern") or "null")
    except ValueError:
        pattern = None
    if pattern != registry.event_pattern():
        raise _Hole("the rule's pattern is not the current one: update the StackSet")
    if rule.get("State") != "ENABLED":
        raise _Hole(f"the rule is {rule.get('State')}")
    return rule


def _target(events: Any, bus: str) -> dict:
    try:
        with aws_errors(not_found=_NO_RULE):
            pages = events.get_paginator("list_targets_by_rule").paginate(Rule=FORWARD_RULE)
            targets = [t for page in pages for t in page.get("Targets", [])]
    except AwsError as error:
        raise _Hole(f"cannot read the rule's targets: {error}")
    for target in targets:
        if target.get("Arn") == bus:
            return target
    if not targets:
        raise _Hole(f"the rule has no target: it forwards nothing (want {bus})")
    raise _Hole(f"the rule sends to {', '.join(t.get('Arn', '?') for t in targets)}, "
                f"not to the central bus {bus}")


def _document(value: Any) -> dict:
    """A policy document as IAM returns it: botocore decodes most, but IAM's answer is
    URL-encoded JSON (RFC 3986), and an unreadable one allows nothing."""
    if isinstance(value, dict):
        return value
    try:
        decoded = json.loads(urllib.parse.unquote(value))
    except (TypeError, ValueError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _role_documents(iam: Any, name: str) -> tuple[dict, list[dict], dict | None]:
    """(trust policy, permission policy documents, permissions boundary document)."""
    with aws_errors(not_found=_NO_ROLE):
        role = iam.get_role(RoleName=name)["Role"]
        documents = []
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
            for policy in page.get("PolicyNames", []):
                documents.append(_document(iam.get_role_policy(
                    RoleName=name, PolicyName=policy)["PolicyDocument"]))
        attached = iam.get_paginator("list_attached_role_policies").paginate(RoleName=name)
        arns = [p["PolicyArn"] for page in attached for p in page.get("AttachedPolicies", [])]
        boundary_arn = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        managed = {arn: _managed_document(iam, arn) for arn in {*arns, boundary_arn} - {None}}
    return (_document(role.get("AssumeRolePolicyDocument")), documents + [managed[a] for a in arns],
            managed.get(boundary_arn) if boundary_arn else None)


def _managed_document(iam: Any, arn: str) -> dict:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return _document(iam.get_policy_version(PolicyArn=arn, VersionId=version)
                     ["PolicyVersion"]["Document"])


def _role(iam: Any, role_arn: str | None, account: str, bus: str) -> str:
    if not role_arn:
        raise _Hole("the target has no role: EventBridge cannot put events on another "
                    "account's bus without one")
    name = role_arn.rsplit("/", 1)[-1]
    if f":{account}:" not in role_arn:
        raise _Hole(f"the target's role {role_arn} is not of this account")
    try:
        trust, documents, boundary = _role_documents(iam, name)
    except NotFound:
        raise _Hole(f"the target's role {name} does not exist (removed?)")
    except AwsError as error:
        raise _Hole(f"cannot read the target's role {name}: {error}")
    if not permits.trusts_service(trust, "events.amazonaws.com"):
        raise _Hole(f"EventBridge may not assume the role {name}")
    allowed, why = permits.allows(documents, "events:PutEvents", bus)
    if not allowed:
        raise _Hole(f"the role {name} may not put events on the central bus: {why}")
    if boundary is not None:
        allowed, why = permits.allows([boundary], "events:PutEvents", bus)
        if not allowed:
            raise _Hole(f"the role {name}'s permissions boundary refuses: {why}")
    return name


def _forwarder(account: str, region: str, clients: Clients, settings: Settings,
               bus: str) -> Finding:
    if account == clients.own_account() and region == settings.home_region:
        return Finding(account, region, "forwarder", OK, "the reaper's own region")
    try:
        events = clients.client("events", region, account)
        _rule(events)
        target = _target(events, bus)
        role = _role(clients.client("iam", region, account), target.get("RoleArn"),
                     account, bus)
    except _Hole as hole:
        return Finding(account, region, "forwarder", HOLE, str(hole))
    return Finding(account, region, "forwarder", OK,
                   f"current pattern, to the central bus, through role {role}")


def pairs(settings: Settings, clients: Clients,
          regions: list[str] | None = None) -> tuple[list[Finding], list[tuple[str, str]]]:
    """The member role findings, and every (account, region) outside the allowed set
    whose forwarder matters."""
    findings: list[Finding] = []
    found = []
    for account in fleet.accounts(settings, clients):
        try:
            clients.session(account)
        except AwsError as error:
            findings.append(Finding(account, "*", "member role", HOLE,
                                    f"cannot assume it: {error}"))
            continue
        if account != clients.own_account():
            findings.append(Finding(account, "*", "member role", OK, "assumed"))
        try:
            enabled = regions or scan.enabled_regions(clients, account)
        except AwsError as error:
            findings.append(Finding(account, "*", "regions", HOLE, str(error)))
            continue
        found += [(account, r) for r in enabled if not settings.allows(r)]
    return findings, found


def check(settings: Settings, clients: Clients,
          regions: list[str] | None = None) -> list[Finding]:
    """Every finding, holes and all, sorted by account and region."""
    findings, todo = pairs(settings, clients, regions)
    bus = central_bus(settings, clients)
    with concurrent.futures.ThreadPoolExecutor(max_workers=settings.scan_workers) as pool:
        findings += pool.map(lambda pair: _forwarder(*pair, clients, settings, bus), todo)
    findings.append(_reap_dead_letters(settings, clients))
    return sorted(findings, key=lambda f: (f.account, f.region, f.check))


def _reap_dead_letters(settings: Settings, clients: Clients) -> Finding:
    """Events the reaper could not take wait in its dead-letter queue: each is a
    create call nobody judged (the nightly scan is the net for what it made)."""
    from chalicelib.templates import REAP_DLQ

    where = (clients.own_account(), settings.home_region, "reap dead letters")
    letters = fleet.reap_dead_letters(settings, clients)
    if letters is None:
        return Finding(*where, HOLE, f"no readable {REAP_DLQ}: an event reap cannot take "
                                     "is lost (deploy with `monocyte template central --merge`)")
    if letters:
        return Finding(*where, HOLE, f"{text.count(len(letters), 'event')} in {REAP_DLQ}, the oldest "
                                     f"from {min(f['time'] for f in letters) or 'unknown'}")
    return Finding(*where, OK, f"{REAP_DLQ} is empty")
