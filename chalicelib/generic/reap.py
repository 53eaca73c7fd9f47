"""The event path for generic types: the same decision as a curated type's, with Cloud
Control doing the live check and the delete (:mod:`chalicelib.generic.engine`).

The reaper asks here only for a create that no curated type claims (curated always
wins); a call the table does not know either stays 'uncovered'.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

from chalicelib import policy, registry
from chalicelib.errors import AwsError, NotReady
from chalicelib.events import Target
from chalicelib.generic import engine

SERVICE = "cloudcontrol"


def _table() -> Any:
    # Imported on first use: a cold start that meets only curated events never reads it.
    from chalicelib.generic import table
    return table


def types_for(event_source: str, event_name: str) -> tuple[Any, ...]:
    """The generic types a create call makes, never one the curated layer holds."""
    try:
        found = _table().by_event(event_source, event_name)
    except ImportError:  # no generated table in this build
        return ()
    return tuple(g for g in found if not _curated(g.type_name))


def _curated(type_name: str) -> bool:
    try:
        registry.get(type_name)
    except KeyError:
        return False
    return True


def targets(event: Any, gtype: Any, clients: Any) -> list[Target]:
    """The event's resource when the record names it; otherwise every resource of the
    type listed in the event's (account, region), AWS's defaults left out (a sweep)."""
    base = Target(gtype.type_name, "", event.aws_region or "", event.account or "",
                  event.name, creator=event.user_arn, created=event.event_time)
    identifier = engine.identifier_from(gtype, event.detail)
    if identifier:
        return [dataclasses.replace(base, id=identifier)]
    if gtype.event_only or gtype.parent:
        return []  # cannot be listed on its own: the scan lists it through its parent
    client = clients.client(SERVICE, base.region, base.account)
    found = engine.findings(client, gtype, _table().is_default)
    return [dataclasses.replace(base, id=identifier, created=None) for identifier, _ in found]


def handle(target: Target, gtype: Any, settings: Any, clients: Any, breaker: Any = None,
           outcome: Callable[..., Any] | None = None) -> Any:
    """Judge, check live, delete: an Outcome (reaper.Outcome, passed in as ``outcome``)."""
    from chalicelib import reaper

    checked = assess(target, gtype, settings, clients, outcome)
    if not isinstance(checked, reaper.Kill):
        return checked
    return execute(checked, settings, clients, breaker, outcome)


def assess(target: Target, gtype: Any, settings: Any, clients: Any,
           outcome: Callable[..., Any] | None = None) -> Any:
    """The check phase (policy, live check, default, tag exemption, dry run): an Outcome
    when the target is not to be deleted now, else a reaper.Kill whose ``live`` is the
    row (what the scan's plan weighs for the breaker before the first delete)."""
    from chalicelib import reaper

    of = outcome or reaper.Outcome.of
    decision, reason = policy.judge(target, settings)
    if decision == policy.SPARE:
        return of(target, reaper.SPARED, reason)
    client = clients.client(SERVICE, target.region, target.account)
    try:
        properties = engine.live(client, gtype, target.id)
    except AwsError as error:
        return of(target, reaper.FAILED, f"live check failed: {error}")
    if properties is None:
        return of(target, reaper.GONE, "already gone")
    if _table().is_default(gtype, properties):
        return of(target, reaper.SPARED, "AWS made it by itself in every region (a default)")
    by_tag = policy.tag_exemption(registry.tag_dict(properties.get("Tags")), settings)
    if by_tag and by_tag[0] == policy.SPARE:
        return of(target, reaper.SPARED, by_tag[1])
    if settings.dry_run or settings.exemptions_error:
        return of(target, reaper.WOULD_KILL, reason + " (dry run)", dry_run=True)
    return reaper.Kill(target, reason, gtype)


def execute(kill: Any, settings: Any, clients: Any, breaker: Any = None,
            outcome: Callable[..., Any] | None = None) -> Any:
    """The delete phase: ask the breaker, delete through Cloud Control, count the kill."""
    from chalicelib import reaper

    of = outcome or reaper.Outcome.of
    target, reason, gtype = kill.target, kill.reason, kill.live
    if breaker and not breaker.allow(target.account):
        return of(target, reaper.WOULD_KILL, f"{reason} (REPORT-ONLY: the blast-radius "
                  f"breaker: {breaker.open_reason(target.account)})", dry_run=True)
    client = clients.client(SERVICE, target.region, target.account)
    try:
        action, why = engine.delete(client, gtype, target.id)
    except NotReady as error:
        return of(target, reaper.DEFERRED, f"not deletable yet: {error}")
    except AwsError as error:
        return of(target, reaper.FAILED, f"delete failed: {error}")
    if breaker and action == reaper.KILLED:
        breaker.record(target.account, target.created)
    return of(target, action, reason if action == reaper.KILLED else why)


def explain(event: Any, settings: Any, uncovered: str = "") -> dict | None:
    """What the event path would do with a generic create, without any AWS call, in the
    ``explain`` contract's shape; None when the table does not know the call.

    A record that names the resource gives its Cloud Control identifier; one that does
    not is a sweep (id empty, ``sweep`` true): the reaper would list the type in that
    (account, region) and kill every resource there but AWS's defaults.  A type
    listed only through its parent and not named in the record is left to the scan:
    ``report``, with ``uncovered`` (the uncovered-create reason) first.
    """
    gtypes = types_for(event.event_source or "", event.event_name or "")
    if not gtypes:
        return None
    judged, later = [], []
    for gtype in gtypes:
        target = Target(gtype.type_name, engine.identifier_from(gtype, event.detail) or "",
                        event.aws_region or "", event.account or "", event.name,
                        creator=event.user_arn, created=event.event_time)
        if not target.id and (gtype.event_only or gtype.parent):
            later.append(f"{gtype.type_name}: not named in the record and listed only "
                         "through its parent, left to the nightly scan")
            continue
        decision, reason = policy.judge(target, settings)
        row = {"type": target.type, "id": target.id, "region": target.region,
               "account": target.account, "decision": decision, "reason": reason}
        if not target.id:
            row["sweep"] = True
            row["reason"] = (f"{reason}; the record does not name it: every "
                             f"{gtype.type_name} in {target.region} but AWS's defaults "
                             "would be listed through Cloud Control and killed (a sweep)")
        judged.append(row)
    kills = [t for t in judged if t["decision"] == policy.KILL]
    if not judged:
        # The event path acts on none of them now: reported as an uncovered create is.
        return {"decision": "report", "reason": "; ".join([uncovered, *later] if uncovered
                                                           else later), "targets": []}
    reason = (f"{len(kills)} of {len(judged)} targets outside the allowed regions "
              "(generic: Cloud Control)" if kills else "every target is spared")
    if later:
        reason += "; also: " + "; ".join(later)
    return {"decision": policy.KILL if kills else policy.SPARE, "reason": reason,
            "targets": judged}
