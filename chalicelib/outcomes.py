"""What happened to one target, in the words the event path, the scan, the verdict
log, Slack and the reports share."""
from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from chalicelib import dataflow
from chalicelib.events import Target

# What happened to one target. The scan and the event path share these words.
KILLED = "killed"
WOULD_KILL = "would-kill"
SPARED = "spared"
GONE = "gone"          # already deleted, or on its way out: nothing to do
DEFERRED = "deferred"  # cannot be deleted yet; a later run takes it
FAILED = "failed"
UNCOVERED = "uncovered"  # a create outside the allowed regions no type claims: reported
# A replication rule on a resource in an allowed region sending data outside them:
# reported (chalicelib.dataflow), the rule and its source never deleted.
DATA_FLOW = dataflow.DATA_FLOW
# Could not be deleted for a lasting reason (an Object Lock, a policy denying us):
# made unreadable and escalated every run until a human acts.
CUT_OFF = "cut-off"


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclasses.dataclass
class Outcome:
    action: str
    type: str
    id: str
    region: str
    account: str
    reason: str
    notes: list[str] = dataclasses.field(default_factory=list)
    event: str = ""
    creator: str | None = None
    created: str | None = None
    dry_run: bool = False
    missed: bool = False  # the scan killed what the event path should have
    at: str = dataclasses.field(default_factory=lambda: utc_now())  # when decided

    @classmethod
    def of(cls, target: Target, action: str, reason: str, **more: Any) -> "Outcome":
        return cls(action, target.type, target.id, target.region, target.account, reason,
                   event=target.event, creator=target.creator, created=target.created,
                   **more)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
