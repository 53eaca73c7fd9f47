"""`monocyte coverage --seen`: the uncovered creates of the verdict log, ranked, so the
team knows which type to cover (or exempt) next."""
from __future__ import annotations

import dataclasses
from typing import Iterable

from chalicelib import reaper


@dataclasses.dataclass
class Seen:
    """One uncovered call (eventSource:eventName) as the verdict log saw it."""

    event: str
    count: int = 0
    accounts: set[str] = dataclasses.field(default_factory=set)
    regions: set[str] = dataclasses.field(default_factory=set)
    first: str = ""
    last: str = ""

    def to_dict(self) -> dict:
        return {"event": self.event, "count": self.count, "accounts": sorted(self.accounts),
                "regions": sorted(self.regions), "first": self.first, "last": self.last}


def rank(records: Iterable[dict]) -> list[Seen]:
    """Uncovered records grouped per call, most calls first, then most accounts."""
    found: dict[str, Seen] = {}
    for record in records:
        if record.get("action") != reaper.UNCOVERED or not record.get("event"):
            continue
        row = found.setdefault(record["event"], Seen(record["event"]))
        row.count += 1
        row.accounts.add(str(record.get("account", "")))
        row.regions.add(str(record.get("region", "")))
        when = str(record.get("created") or record.get("at") or "")
        row.first = min(row.first or when, when)
        row.last = max(row.last, when)
    return sorted(found.values(), key=lambda s: (-s.count, -len(s.accounts), s.event))


def table_rows(ranked: list[Seen]) -> list[list[str]]:
    return [[s.event, str(s.count), str(len(s.accounts)), ",".join(sorted(s.regions)),
             s.first[:20], s.last[:20]] for s in ranked]


HEADERS = ["CALL", "COUNT", "ACCOUNTS", "REGIONS", "FIRST SEEN", "LAST SEEN"]
