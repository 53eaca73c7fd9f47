"""The decision for one resource, from an event or a scan: the heart of Monocyte.

1. triage the event, 2. extract targets, 3. judge them offline (:mod:`policy`),
4. check each live, 5. kill (or report in dry-run), 6. record the outcome.
Steps 1-3 make no AWS call and are what ``monocyte explain`` prints.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Any, Callable

from chalicelib import dataflow, events, log, policy, registry, text, uncovered
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.errors import (AccessDenied, AwsError, EventError, NotFound, NotReady,
                               Protected, aws_errors)
from chalicelib.events import Target

# The words of an outcome live in chalicelib.outcomes; they are used as reaper.KILLED...
# everywhere, so they are re-exported here.
from chalicelib.outcomes import (CUT_OFF, DATA_FLOW, DEFERRED, FAILED, GONE,  # noqa: F401
                                 KILLED, SPARED, UNCOVERED, WOULD_KILL, Outcome, utc_now)
from chalicelib.reported import ENDS_FLOW, data_flow_outcome, flows_left, is_data_flow_call, \
    uncovered_outcome


def explain(raw: Any, settings: Settings) -> dict:
    """Steps 1-3 for an event, without any AWS call, in the ``explain`` contract's shape.

    Raises EventError when the event cannot be read.
    """
    event = events.CloudTrailEvent(raw)
    ignored = events.triage(event)
    if ignored and is_data_flow_call(event, settings):
        flows = dataflow.reports(event, settings)
        if flows:
            return {"decision": "report", "reason": "; ".join(f.reason for f in flows),
                    "targets": [], "data_flows": [dataclasses.asdict(f) for f in flows]}
        return {"decision": "ignore", "reason": f"{ignored}; no data flow out of the "
                                               "allowed regions", "targets": []}
    if ignored:
        report = uncovered.reason(event, settings)
        if report:
            from chalicelib.generic import reap as generic

            # The same order as reap: a type of the generic table before 'uncovered'.
            return generic.explain(event, settings, report) or {
                "decision": "report", "reason": report, "targets": []}
        return {"decision": "ignore", "reason": ignored, "targets": []}
    found, problems = events.targets(event)
    judged = []
    for target in found:
        decision, reason = policy.judge(target, settings)
        judged.append({"type": target.type, "id": target.id, "region": target.region,
                       "account": target.account, "decision": decision, "reason": reason})
    flows = flows_left(event, settings, {t["region"] for t in judged
                                          if t["decision"] == policy.KILL})
    if not judged and flows:
        return {"decision": "report", "reason": "; ".join(f.reason for f in flows),
                "targets": [], "data_flows": [dataclasses.asdict(f) for f in flows]}
    if not judged:
        return {"decision": "ignore", "reason": "; ".join(problems), "targets": []}
    kills = [t for t in judged if t["decision"] == policy.KILL]
    if kills:
        reason = f"{len(kills)} of {text.count(len(judged), 'target')} outside the allowed regions"
    else:
        reason = "every target is spared"
    if problems:
        reason += "; also: " + "; ".join(problems)
    result = {"decision": policy.KILL if kills else policy.SPARE, "reason": reason,
              "targets": judged}
    if flows:
        result["reason"] += "; also: " + "; ".join(f.reason for f in flows)
        result["data_flows"] = [dataclasses.asdict(f) for f in flows]
    return result


def reap(raw: Any, settings: Settings, clients: Clients,
         verdicts: Callable[[Outcome], None] | None = None,
         breaker: Any = None) -> list[Outcome]:
    """Handle one create-call event end to end. Never raises for bad input: a
    malformed or ignored event is logged once and yields no outcome; an uncovered
    create yields one UNCOVERED outcome (no AWS call)."""
    try:
        event = events.CloudTrailEvent(raw)
        ignored = events.triage(event)
        if ignored and is_data_flow_call(event, settings):
            flows = dataflow.reports(event, settings)
            outcomes = [data_flow_outcome(event, flow, verdicts) for flow in flows]
            if flows:  # an S3 rule's destination bucket, located (replica_buckets)
                from chalicelib import replica_buckets

                outcomes += replica_buckets.kill(event, settings, clients, handle,
                                                 verdicts, breaker)
            return outcomes
        if ignored:
            report = uncovered.reason(event, settings)
            if report:
                generic = _generic(event, settings, clients, verdicts, breaker)
                if generic is not None:
                    return generic
                return [uncovered_outcome(event, report, verdicts)]
            log.emit("ignored", reason=ignored, event_id=_event_id(raw))
            return []
        found, problems = events.targets(event)
    except EventError as error:
        log.emit("malformed", logging.WARNING, reason=str(error), event_id=_event_id(raw))
        return []
    for problem in problems:
        # The resource may exist but we cannot name or place it: the scan will.
        log.emit("unplaced", logging.WARNING, reason=problem, event=event.name,
                 event_id=event.event_id)
    outcomes = []
    for target in found:
        outcome = _elsewhere(target, event, settings, clients) or \
            handle(target, settings, clients, breaker=breaker)
        if verdicts:
            verdicts(outcome)
        outcomes.append(outcome)
    ended = {o.region for o in outcomes if o.action in ENDS_FLOW}
    return [data_flow_outcome(event, flow, verdicts)
            for flow in flows_left(event, settings, ended)] + outcomes


def _elsewhere(target: Target, event: events.CloudTrailEvent, settings: Settings,
               clients: Clients) -> Outcome | None:
    """A target the record places in another account than the caller's (a copy into
    another account's backup vault) is spared and reported unless Monocyte watches
    that account; None when it is the caller's or a watched one."""
    from chalicelib import fleet

    if target.account == event.account or settings.allows(target.region) or \
            fleet.watches(target.account, event.account, settings, clients):
        return None
    outcome = Outcome.of(target, SPARED, f"the record places it in account "
                                         f"{target.account}, which Monocyte does not watch: "
                                         "not ours to delete, reported")
    log.emit("outcome", logging.WARNING, **outcome.to_dict())
    return outcome


def _generic(event: events.CloudTrailEvent, settings: Settings, clients: Clients,
             verdicts: Callable[[Outcome], None] | None, breaker: Any) -> list[Outcome] | None:
    """A create no curated type claims, made by a type of the generic table: its
    outcomes; None when the table does not know the call either (it stays uncovered)."""
    from chalicelib.generic import reap as generic

    gtypes = generic.types_for(event.event_source or "", event.event_name or "")
    if not gtypes:
        return None
    outcomes = []
    for gtype in gtypes:
        try:
            found = generic.targets(event, gtype, clients)
        except AwsError as error:
            log.emit("unplaced", logging.WARNING, reason=f"{gtype.type_name}: sweep "
                     f"failed: {error}", event=event.name, event_id=event.event_id)
            continue
        for target in found:
            outcome = generic.handle(target, gtype, settings, clients, breaker)
            log.emit("outcome", logging.WARNING if outcome.action == FAILED
                     else logging.INFO, **outcome.to_dict())
            if verdicts:
                verdicts(outcome)
            outcomes.append(outcome)
    return outcomes


def _event_id(raw: Any) -> Any:
    return raw.get("id") if isinstance(raw, dict) else None


def handle(target: Target, settings: Settings, clients: Clients,
           quiet: bool = False, breaker: Any = None) -> Outcome:
    """Steps 3-6 for one target; the outcome is logged (unless ``quiet``: the caller
    logs it) before it is returned. ``breaker`` (chalicelib.breaker) is asked before
    every delete."""
    outcome = _decide(target, settings, clients, breaker)
    if quiet:
        return outcome
    log.emit("outcome", logging.WARNING if outcome.action in (FAILED, CUT_OFF)
             else logging.INFO,
             **outcome.to_dict())
    return outcome


@dataclasses.dataclass
class Kill:
    """A target that passed every check and is to be deleted (the delete phase's
    input): what the scan's plan counts for the breaker."""

    target: Target
    reason: str
    live: Any  # registry.Live


def _decide(target: Target, settings: Settings, clients: Clients, breaker: Any) -> Outcome:
    checked = assess(target, settings, clients)
    if isinstance(checked, Outcome):
        return checked
    return execute(checked, settings, clients, breaker)


def assess(target: Target, settings: Settings, clients: Clients) -> "Outcome | Kill":
    """The check phase: policy, live check, exemptions, dry run. An Outcome when the
    target is not to be deleted now, a Kill when it is."""
    if target.creator is None and not settings.allows(target.region) and \
            policy.needs_creator(target):
        target = dataclasses.replace(target, creator=_creator_from_trail(target, clients))
    decision, reason = policy.judge(target, settings)
    if decision == policy.SPARE:
        return Outcome.of(target, SPARED, reason)
    rtype = registry.get(target.type)
    codes = dict(not_found=rtype.not_found, not_ready=rtype.not_ready,
                 protected=rtype.protected)
    try:
        client = clients.client(rtype.service, target.region, target.account)
        with aws_errors(**codes):
            live = rtype.inspect(client, target.id)
    except NotFound:
        live = None
    except AwsError as error:
        return Outcome.of(target, FAILED, f"live check failed: {error}")
    if live is None:
        return Outcome.of(target, GONE, "already gone")
    if live.created and not target.created:
        target = dataclasses.replace(target, created=live.created)
    if live.region and live.region != target.region:
        # The resource is the truth, the event only a hint: never act on a mismatch.
        where = "an allowed" if settings.allows(live.region) else "another"
        return Outcome.of(target, SPARED, f"lives in {live.region}, {where} region than "
                                          f"{target.region} claimed; left to the scan")
    kept = sorted(r for r in live.also_in if settings.allows(r))
    if kept:
        return Outcome.of(target, SPARED, f"it has copies in {', '.join(kept)}, an allowed "
                                          "region; the copies outside are removed on their own")
    if live.keep:
        # The resource itself says it must not go (proven self-protection, a stack
        # holding global resources): spared, and the reason reported.
        return Outcome.of(target, SPARED, live.keep)
    if live.note:
        reason += f"; {live.note}"
    for name in live.names:
        by_name = policy.judge(dataclasses.replace(target, id=name), settings)
        if by_name[0] == policy.SPARE:
            return Outcome.of(target, SPARED, f"{name}: {by_name[1]}")
    by_tag = policy.tag_exemption(live.tags, settings)
    if by_tag and by_tag[0] == policy.SPARE:
        return Outcome.of(target, SPARED, by_tag[1])
    if by_tag:
        reason += f"; {by_tag[1]}"
    if settings.dry_run or settings.exemptions_error:
        note = ["protection is on and would be disabled"] if live.protected else []
        if live.unread_protection:  # not read ahead: say what the kill would do
            note = [f"{live.unread_protection}, if on, would be disabled" if settings.force
                    else f"{live.unread_protection}, if on, would spare it "
                         "(MONOCYTE_FORCE is off)"]
        why = " (dry run)" if settings.dry_run else (
            f" (REPORT-ONLY until the exemptions list is fixed: {settings.exemptions_error})")
        return Outcome.of(target, WOULD_KILL, reason + why, notes=note, dry_run=True)
    if live.protected and not settings.force:
        return Outcome.of(target, SPARED, "protection is on and MONOCYTE_FORCE is off")
    return Kill(target, reason, live)


def _creator_from_trail(target: Target, clients: Clients) -> str | None:
    """The scan has no event: CloudTrail's history says who created the stack. Not
    knowing (older than 90 days, refused, throttled) leaves it doubtful: spared."""
    from chalicelib.resources.cloudformation import stack_creator

    try:
        trail = clients.client("cloudtrail", target.region, target.account)
        with aws_errors():
            return stack_creator(trail, target.id, target.created)
    except AwsError as error:
        log.emit("creator-unknown", logging.WARNING, id=target.id, reason=str(error))
        return None


def execute(kill: Kill, settings: Settings, clients: Clients, breaker: Any) -> Outcome:
    """The delete phase: ask the breaker (from the current count), delete, and count
    the kill only when it succeeded."""
    target, reason, live = kill.target, kill.reason, kill.live
    if breaker and not breaker.allow(target.account):
        return Outcome.of(target, WOULD_KILL, f"{reason} (REPORT-ONLY: the blast-radius "
                          f"breaker: {breaker.open_reason(target.account)})", dry_run=True)
    outcome = _delete(target, reason, live, settings, clients)
    if breaker and outcome.action == KILLED:
        breaker.record(target.account, target.created)
    return outcome


def _delete(target: Target, reason: str, live: Any, settings: Settings,
            clients: Clients) -> Outcome:
    rtype = registry.get(target.type)
    codes = dict(not_found=rtype.not_found, not_ready=rtype.not_ready,
                 protected=rtype.protected)
    region = live.delete_region or target.region
    client = clients.client(rtype.service, region, target.account)
    try:
        with aws_errors(**codes):
            notes = rtype.delete(client, target.id, live, settings.force)
    except NotFound as error:
        if error.retried:
            # It was there a moment ago: our first attempt deleted it and its answer
            # was lost; the retry found nothing. A kill, and recorded as one.
            return Outcome.of(target, KILLED, reason,
                              notes=[f"{error.operation} answered only on a retry, which "
                                     "found it gone"])
        return Outcome.of(target, GONE, "gone before the delete")
    except NotReady as error:
        return Outcome.of(target, DEFERRED, f"not deletable yet: {error}")
    except Protected as error:
        return Outcome.of(target, SPARED, f"protection refused the delete and "
                                          f"MONOCYTE_FORCE is off: {error}")
    except AwsError as error:
        if _lasting(error, rtype):
            return _cut_off(target, error, rtype, client)
        return Outcome.of(target, FAILED, f"delete failed: {error}")
    return Outcome.of(target, KILLED, reason, notes=notes)


def _lasting(error: AwsError, rtype: Any) -> bool:
    """A refusal that retrying will not change: we are denied (by our policy, the
    resource's policy, an SCP) or the resource's own lock forbids it."""
    return isinstance(error, AccessDenied) or error.code in rtype.lasting


def _cut_off(target: Target, error: AwsError, rtype: Any, client: Any) -> Outcome:
    """What cannot be deleted is made unreadable where the service allows it, and
    escalated (Slack, the nightly summary) every run until a human acts."""
    why = f"cannot be deleted ({error})"
    if not rtype.cut_off:
        return Outcome.of(target, FAILED, f"{why}; {target.type} has no cut-off: "
                                          "a human must act")
    try:
        with aws_errors(not_found=rtype.not_found):
            steps = rtype.cut_off(client, target.id)
    except AwsError as second:
        return Outcome.of(target, FAILED, f"{why}; the cut-off failed too: {second}")
    return Outcome.of(target, CUT_OFF, f"{why}; cut off so nobody can read it, until a "
                                       "human deletes it", notes=steps)
