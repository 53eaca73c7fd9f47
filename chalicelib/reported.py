"""The outcomes of events that are reported, never killed: a create no type covers
(``uncovered``), and a replication set-up in an allowed region sending data out of
them (``data-flow``, chalicelib.dataflow). Neither makes an AWS call."""
from __future__ import annotations

import logging
from typing import Callable

from chalicelib import dataflow, events, log
from chalicelib.config import Settings
from chalicelib.outcomes import (CUT_OFF, DATA_FLOW, DEFERRED, GONE, KILLED, UNCOVERED,
                                 WOULD_KILL, Outcome)


def uncovered_outcome(event: events.CloudTrailEvent, reason: str,
               verdicts: Callable[[Outcome], None] | None) -> Outcome:
    """The outcome of an uncovered create: no type, the event id as its id (what the
    verdict log dedupes on), placed where the call was made."""
    outcome = Outcome(UNCOVERED, "", event.event_id or "", event.aws_region or "",
                      event.account or "", reason, event=event.name,
                      creator=event.user_arn, created=event.event_time)
    log.emit("uncovered", logging.WARNING, **outcome.to_dict())
    if verdicts:
        verdicts(outcome)
    return outcome


def is_data_flow_call(event: events.CloudTrailEvent, settings: Settings) -> bool:
    """A replication set-up logged in an allowed region: reported as a data flow or
    nothing, never killed. Logged outside, it is left to the uncovered path."""
    return dataflow.covers(event.event_source, event.event_name) and \
        settings.allows(event.aws_region)


# What ends a data flow (or will, or would in a dry run): the destination's kill.
ENDS_FLOW = (KILLED, WOULD_KILL, DEFERRED, GONE, CUT_OFF)


def flows_left(event: events.CloudTrailEvent, settings: Settings,
                ended: set[str]) -> list[dataflow.Report]:
    """The data flows of a replication set-up that a type also claims (EFS: its
    destination) that no kill of the event's targets ends: a destination in another
    account or unplaced, one spared (exempt) or whose kill failed, in a region not in
    ``ended``. Those are still reported. A destination killed where it lands ends the
    flow: its kill is the verdict, not a report saying nothing was deleted."""
    if not is_data_flow_call(event, settings):
        return []
    return [f for f in dataflow.reports(event, settings) if f.destination not in ended]


def data_flow_outcome(event: events.CloudTrailEvent, flow: dataflow.Report,
               verdicts: Callable[[Outcome], None] | None) -> Outcome:
    """The outcome of a data flow out of the allowed regions: the EU source as its id,
    the destination region and the event id in its notes (what the verdict log and
    the day's message dedupe on)."""
    outcome = Outcome(DATA_FLOW, "", flow.source, event.aws_region or "",
                      event.account or "", flow.reason,
                      notes=dataflow.notes(flow.destination, event.event_id),
                      event=event.name,
                      creator=event.user_arn, created=event.event_time)
    log.emit("data-flow", logging.WARNING, **outcome.to_dict())
    if verdicts:
        verdicts(outcome)
    return outcome
