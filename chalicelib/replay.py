"""``monocyte replay``: what Monocyte would have done with a trail's past records.

Reads CloudTrail log files as CloudTrail writes them to S3 (``{"Records": [...]}``,
gzipped or not), directories of them, raw records, EventBridge events, JSON lines or
an ``s3://bucket/prefix``, and runs steps 1-3 (triage, identify, judge) on every
record with no AWS call but the S3 reads. A malformed record is counted, never fatal.

The hot path is the pattern: most of a trail is read-only or failed calls, and a
record the reap rule's pattern would not forward is settled with a few dict lookups
before any event object is built.
"""
from __future__ import annotations

import collections
import dataclasses
import gzip
import json
import os
from typing import Any, Iterable, Iterator

from chalicelib import pattern, policy, registry, reaper
from chalicelib.config import Settings
from chalicelib.errors import EventError

MALFORMED = "malformed"
NOT_FORWARDED = "not-forwarded"  # the reap rule's pattern would not deliver it


class ReplayInputError(Exception):
    """A path that cannot be read at all (missing, unreadable, no credentials)."""


@dataclasses.dataclass
class Summary:
    records: int = 0
    malformed: int = 0
    create_calls: int = 0  # forwarded and claimed by a type, or an uncovered create
    would_kill: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    uncovered: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    exempt: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    spared: int = 0
    ignored: int = 0
    problems: list[str] = dataclasses.field(default_factory=list)  # first malformed ones

    def add(self, verdict: dict) -> None:
        self.records += 1
        decision = verdict["decision"]
        if decision == MALFORMED:
            self.malformed += 1
            if len(self.problems) < 5:
                self.problems.append(f"{verdict['where']}: {verdict['reason']}")
            return
        if decision in (NOT_FORWARDED, "ignore"):
            self.ignored += 1
            return
        self.create_calls += 1
        if decision == "report":
            self.uncovered[verdict["event"]] += 1
            return
        for target in verdict["targets"]:
            if target["decision"] == policy.KILL:
                self.would_kill[(target["type"], target["region"])] += 1
            elif target["reason"].startswith("exempt:"):
                self.exempt[target["reason"]] += 1
            else:
                self.spared += 1

    def to_dict(self) -> dict:
        return {"records": self.records, "malformed": self.malformed,
                "create_calls": self.create_calls, "ignored": self.ignored,
                "would_kill": [{"type": t, "region": r, "count": n}
                               for (t, r), n in sorted(self.would_kill.items())],
                "uncovered": [{"event": e, "count": n}
                              for e, n in self.uncovered.most_common()],
                "spared_by_exemption": dict(self.exempt), "spared": self.spared}


# --- reading ---------------------------------------------------------------------

def _is_s3(path: str) -> bool:
    return path.startswith("s3://")


def blobs(paths: Iterable[str], s3_client: Any = None) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every file named, directories walked in name order."""
    for path in paths:
        if _is_s3(path):
            yield from _s3_blobs(path, s3_client)
        elif os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    yield from _file_blob(os.path.join(root, name))
        elif os.path.exists(path) or path == "-":
            yield from _file_blob(path)
        else:
            raise ReplayInputError(f"{path}: no such file or directory")


def _file_blob(path: str) -> Iterator[tuple[str, bytes]]:
    import sys

    try:
        if path == "-":
            yield path, sys.stdin.buffer.read()
            return
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise ReplayInputError(f"cannot read {path}: {error.strerror}") from error
    yield path, data


def _s3_blobs(url: str, client: Any) -> Iterator[tuple[str, bytes]]:
    import botocore.exceptions

    bucket, _, prefix = url[len("s3://"):].partition("/")
    if not bucket:
        raise ReplayInputError(f"{url}: no bucket named")
    if client is None:
        import boto3

        client = boto3.client("s3")
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                     Prefix=prefix):
            for item in page.get("Contents", []):
                body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                yield f"s3://{bucket}/{item['Key']}", body
    except botocore.exceptions.NoCredentialsError as error:
        raise ReplayInputError(f"{url}: no AWS credentials to read it with") from error
    except botocore.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "error")
        raise ReplayInputError(f"{url}: S3 answered {code}") from error
    except botocore.exceptions.BotoCoreError as error:
        raise ReplayInputError(f"{url}: {error}") from error


def items(name: str, data: bytes) -> Iterator[tuple[str, Any]]:
    """Every record or event in one file, or ``(where, EventError)`` for a part that
    cannot be read. A whole file that is not gzip or JSON is one malformed item."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            yield name, EventError(f"not a readable gzip file ({error})")
            return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        yield name, EventError("not UTF-8 text")
        return
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        yield from _lines(name, text)
        return
    except RecursionError:
        yield name, EventError("nested too deeply")
        return
    yield from _unpack(name, document)


def _lines(name: str, text: str) -> Iterator[tuple[str, Any]]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            yield from _unpack(where, json.loads(line))
        except (json.JSONDecodeError, RecursionError) as error:
            yield where, EventError(f"not JSON ({getattr(error, 'msg', 'too deep')})")


def _unpack(where: str, document: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(document, dict) and isinstance(document.get("Records"), list):
        for index, record in enumerate(document["Records"]):
            yield f"{where}#{index}", record
    elif isinstance(document, list):
        for index, record in enumerate(document):
            yield f"{where}#{index}", record
    else:
        yield where, document


# --- judging ---------------------------------------------------------------------

def as_event(record: Any) -> Any:
    """An EventBridge event for a raw CloudTrail record (as EventBridge wraps it);
    an EventBridge event, or anything else, unchanged."""
    if not isinstance(record, dict) or "detail-type" in record or "detail" in record:
        return record
    source = record.get("eventSource")
    if not isinstance(source, str):
        return record
    region = record.get("awsRegion")
    account = record.get("recipientAccountId") or \
        (record.get("userIdentity") or {}).get("accountId")
    return {"version": "0", "id": record.get("eventID", ""),
            "detail-type": registry.CLOUDTRAIL_DETAIL_TYPE,
            "source": pattern_source(source), "account": account,
            "time": record.get("eventTime"), "region": region, "resources": [],
            "detail": record}


def pattern_source(event_source: str) -> str:
    from chalicelib.events import expected_source

    return expected_source(event_source)


class Judge:
    """Steps 1-3 for one record at a time, the pattern's check first."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.allowed = frozenset(r for r in _known() if settings.allows(r))
        self.global_sources = frozenset(pattern.global_services())
        self.cross = frozenset(pattern.CROSS_REGION_CALLS)
        self._create = pattern.is_create_style

    def __call__(self, where: str, record: Any) -> dict:
        if isinstance(record, EventError):
            return {"where": where, "decision": MALFORMED, "reason": str(record)}
        detail = record.get("detail", record) if isinstance(record, dict) else None
        if not isinstance(detail, dict):
            return {"where": where, "decision": MALFORMED,
                    "reason": f"a {type(record).__name__}, not a JSON object"}
        name, source = detail.get("eventName"), detail.get("eventSource")
        if not (isinstance(name, str) and isinstance(source, str)):
            return {"where": where, "decision": MALFORMED,
                    "reason": "no eventSource or eventName"}
        skip = self._unforwarded(detail, source, name)
        if skip:
            return {"where": where, "event": f"{source}:{name}",
                    "decision": NOT_FORWARDED, "reason": skip}
        try:
            verdict = reaper.explain(as_event(record), self.settings)
        except EventError as error:
            return {"where": where, "decision": MALFORMED, "reason": str(error)}
        verdict["where"] = where
        verdict["event"] = f"{source}:{name}"
        return verdict

    def _unforwarded(self, detail: dict, source: str, name: str) -> str | None:
        """Why the reap rule's pattern (chalicelib/pattern.py) would not deliver it."""
        if detail.get("errorCode") not in (None, ""):
            return f"failed with {detail['errorCode']}"
        if detail.get("readOnly") not in (False, None):
            return "read-only"
        if (source, name) in self.cross:
            return None
        if not self._create(name):
            return "not a create-style call"
        if source.split(".", 1)[0] in self.global_sources:
            return "a global service's call"
        if detail.get("awsRegion") in self.allowed:
            return f"in allowed region {detail.get('awsRegion')}"
        return None


def _known() -> list[str]:
    from chalicelib.config import known_regions

    return sorted(known_regions())


def run(paths: list[str], settings: Settings, s3_client: Any = None,
        on_verdict: Any = None, on_file: Any = None) -> Summary:
    summary = Summary()
    judge = Judge(settings)
    for name, data in blobs(paths, s3_client):
        for where, record in items(name, data):
            verdict = judge(where, record)
            summary.add(verdict)
            if on_verdict:
                on_verdict(verdict)
        if on_file:
            on_file(name, summary.records)
    return summary


def text(summary: Summary) -> str:
    lines = [f"Records read: {summary.records} ({summary.malformed} malformed)",
             f"Create calls: {summary.create_calls}"]
    kills = sum(summary.would_kill.values())
    lines.append(f"Would kill: {kills}")
    for (rtype, region), count in sorted(summary.would_kill.items(),
                                         key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {count:>6}  {rtype}  {region}")
    lines.append(f"Uncovered creates (reported, not killed): {sum(summary.uncovered.values())}")
    for event, count in summary.uncovered.most_common(20):
        lines.append(f"  {count:>6}  {event}")
    lines.append(f"Spared by exemption: {sum(summary.exempt.values())}")
    for reason, count in summary.exempt.most_common():
        lines.append(f"  {count:>6}  {reason}")
    for problem in summary.problems:
        lines.append(f"Malformed: {problem}")
    return "\n".join(lines)
