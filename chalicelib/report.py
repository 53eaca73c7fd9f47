"""The report for the data-protection officer: what lived outside the allowed regions
in a period, for how long, who made it, and the record that proves it is gone.

Numbers only (rendering is report_html.py); every entry keeps the verdict's sort key,
so each line can be looked up in the verdict table.
"""
from __future__ import annotations

import csv
import datetime
import io
import re
import statistics
from typing import Any, Iterable

from chalicelib import reaper
from chalicelib.errors import ConfigError

# What counts as "found outside the EU": every verdict that acted, or should have.
FOUND = (reaper.KILLED, reaper.WOULD_KILL, reaper.FAILED, reaper.DEFERRED, reaper.CUT_OFF)
DEAD = (reaper.KILLED, reaper.GONE)
BREAKER_OPEN = "breaker-open"  # written by verdicts.Verdicts.alert
WORST = 5
CSV_FIELDS = ("decided", "action", "path", "type", "id", "region", "account", "creator",
              "created", "exposure_seconds", "reason", "notes", "record")


def period(since: str | None = None, month: str | None = None,
           now: datetime.datetime | None = None) -> tuple[datetime.datetime, datetime.datetime]:
    """--month 2026-11 (that calendar month, UTC) or --since 30d (default 30 days)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if month:
        if not re.fullmatch(r"\d{4}-\d{2}", month):
            raise ConfigError(f"--month {month!r}: use YYYY-MM, e.g. 2026-11")
        year, number = int(month[:4]), int(month[5:])
        if not 1 <= number <= 12:
            raise ConfigError(f"--month {month!r}: no such month")
        start = datetime.datetime(year, number, 1, tzinfo=datetime.timezone.utc)
        end = datetime.datetime(year + number // 12, number % 12 + 1, 1,
                                tzinfo=datetime.timezone.utc) - datetime.timedelta(seconds=1)
        return start, min(end, now)
    match = re.fullmatch(r"(\d+)d", (since or "30d").strip())
    if not match:
        raise ConfigError(f"--since {since!r}: use a number of days, e.g. 30d")
    return now - datetime.timedelta(days=int(match.group(1))), now


def _time(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value[:25].split("#")[0].replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def path_of(record: dict) -> str:
    """'event' when the event path decided, 'scan' when the nightly scan did (its
    targets carry the event name 'scan', scan.py)."""
    return "scan" if record.get("missed") or record.get("event") == "scan" else "event"


def entry(record: dict) -> dict:
    """One verdict as the report shows it, traceable by ``record`` (its sort key)."""
    decided = _time(record.get("at"))
    created = _time(record.get("created"))
    exposure = (decided - created).total_seconds() if decided and created else None
    return {"decided": decided.strftime("%Y-%m-%dT%H:%M:%SZ") if decided else "",
            "action": record.get("action", ""), "path": path_of(record),
            "type": record.get("type", ""), "id": record.get("id", ""),
            "region": record.get("region", ""), "account": record.get("account", ""),
            "creator": record.get("creator") or "", "created": record.get("created") or "",
            "exposure_seconds": None if exposure is None else max(0, int(exposure)),
            "reason": record.get("reason", ""), "notes": "; ".join(record.get("notes") or []),
            "record": f"{record.get('day', '')}/{record.get('at', '')}"}


def _resource(record: dict) -> tuple:
    return (record.get("account"), record.get("region"), record.get("type"), record.get("id"))


def _why(record: dict) -> str:
    action = record.get("action")
    if action == reaper.FAILED:
        return "failed"
    if action == reaper.DEFERRED:
        return "deferred"
    if action == reaper.CUT_OFF:
        return "cut off"
    if path_of(record) == "scan":
        return "missed by events"
    return "killed by the event path"


def _week(moment: str) -> str:
    year, week, _ = _time(moment).isocalendar()
    return f"{year}-W{week:02d}"


def _count(rows: Iterable[dict], key: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[key]] = counts.get(row[key], 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def build(records: list[dict], start: datetime.datetime, end: datetime.datetime,
          exemptions: Iterable[Any] = (), today: datetime.date | None = None) -> dict:
    """The report as plain data (the JSON output; the HTML and CSV are drawn from it)."""
    today = today or end.date()
    records = sorted(records, key=lambda r: r.get("at", ""))
    found = [r for r in records if r.get("action") in FOUND]
    kills = [entry(r) for r in found if r.get("action") in (reaper.KILLED, reaper.WOULD_KILL)]
    last: dict[tuple, dict] = {}
    for record in records:
        if record.get("action") in FOUND + DEAD:
            last[_resource(record)] = record
    alive = [entry(r) for r in last.values() if r.get("action") not in DEAD + (reaper.WOULD_KILL,)]
    exposures = sorted(k["exposure_seconds"] for k in kills if k["exposure_seconds"] is not None)
    in_force = [e for e in exemptions if e.expires >= today]
    weeks: dict[str, dict[str, int]] = {}
    for kill in kills:
        weeks.setdefault(_week(kill["decided"]), {"event": 0, "scan": 0})[kill["path"]] += 1
    longest = sorted(last.values(), key=lambda r: -(entry(r)["exposure_seconds"] or 0))
    return {
        "period": {"start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "end": end.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "empty": not records,
        "headline": {
            "found": len({_resource(r) for r in found}),
            "killed": sum(1 for r in found if r.get("action") == reaper.KILLED),
            "would_kill": sum(1 for r in found if r.get("action") == reaper.WOULD_KILL),
            "failed": sum(1 for r in found if r.get("action") == reaper.FAILED),
            "alive_now": len(alive),
            "uncovered": sum(1 for r in records if r.get("action") == reaper.UNCOVERED),
            "exempted": sum(1 for r in records if r.get("action") == reaper.SPARED
                            and str(r.get("reason", "")).startswith("exempt:")),
            "exemptions_in_force": len(in_force),
            "exemptions_expiring_30d": sum(
                1 for e in in_force if e.expires <= today + datetime.timedelta(days=30)),
            "breaker_openings": sum(1 for r in records if r.get("action") == BREAKER_OPEN),
        },
        "exposure": {
            "seconds": exposures,
            "median_seconds": statistics.median(exposures) if exposures else None,
            "worst": sorted((k for k in kills if k["exposure_seconds"] is not None),
                            key=lambda k: -k["exposure_seconds"])[:WORST],
        },
        "by_path_per_week": dict(sorted(weeks.items())),
        "kills_by": {key: _count(kills, key) for key in ("account", "type", "region")},
        "longest": [dict(entry(r), why=_why(r)) for r in longest[:WORST * 2]],
        "alive": alive,
        "entries": [entry(r) for r in records if r.get("action") != BREAKER_OPEN],
        "breaker": [entry(r) for r in records if r.get("action") == BREAKER_OPEN],
    }


def to_csv(report: dict) -> str:
    """Every verdict of the period, one line each, for the evidence folder."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for row in report["entries"]:
        writer.writerow(row)
    return out.getvalue()


def human(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h {seconds % 3600 // 60}m"
    return f"{seconds // 86400}d {seconds % 86400 // 3600}h"
