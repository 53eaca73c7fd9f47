"""``monocyte doctor``: are the forwarders and member roles where the reaper needs them?

For every account and every enabled region outside the allowed set (where a kill can
be needed), the forwarding rule must exist with the current pattern, and the member
role must be assumable. Each hole is reported; nothing is changed.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import json

from chalicelib import fleet, registry, scan
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.errors import AwsError, NotFound, aws_errors
from chalicelib.templates import FORWARD_RULE

OK = "ok"
HOLE = "hole"


@dataclasses.dataclass(frozen=True)
class Finding:
    account: str
    region: str
    check: str
    status: str
    detail: str


def _forwarder(account: str, region: str, clients: Clients, settings: Settings) -> Finding:
    if account == clients.own_account() and region == settings.home_region:
        return Finding(account, region, "forwarder", OK, "the reaper's own region")
    events = clients.client("events", region, account)
    try:
        with aws_errors(not_found=("ResourceNotFoundException",)):
            rule = events.describe_rule(Name=FORWARD_RULE)
    except NotFound:
        return Finding(account, region, "forwarder", HOLE,
                       f"no rule {FORWARD_RULE}: add this region to the forwarders StackSet")
    except AwsError as error:
        return Finding(account, region, "forwarder", HOLE, f"cannot read the rule: {error}")
    try:
        pattern = json.loads(rule.get("EventPattern") or "null")
    except ValueError:
        pattern = None
    if pattern != registry.event_pattern():
        return Finding(account, region, "forwarder", HOLE,
                       "the rule's pattern is not the current one: update the StackSet")
    if rule.get("State") != "ENABLED":
        return Finding(account, region, "forwarder", HOLE, f"the rule is {rule.get('State')}")
    return Finding(account, region, "forwarder", OK, "current pattern")


def check(settings: Settings, clients: Clients,
          regions: list[str] | None = None) -> list[Finding]:
    """Every finding, holes and all, sorted by account and region."""
    findings: list[Finding] = []
    pairs = []
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
        pairs += [(account, r) for r in enabled if not settings.allows(r)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=settings.scan_workers) as pool:
        findings += pool.map(lambda pair: _forwarder(*pair, clients, settings), pairs)
    return sorted(findings, key=lambda f: (f.account, f.region, f.check))
