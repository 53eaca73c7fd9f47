"""Organization-wide scanning: which accounts, and the fan-out over SQS.

``nightly_scan`` puts one message per (account, region) on the scan queue, plus one
per account for the types listed once per account (S3 buckets); ``scan_unit`` scans
the unit a message names. SQS and Lambda are the distributed engine: a unit that
fails is retried by SQS and lands in the dead-letter queue, and one account that
denies access never stops the others.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Callable

from chalicelib import limits, log, reaper, registry, retry, scan
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.errors import AwsError, EventError, MonocyteError, aws_errors
from chalicelib.generic import scanning
from chalicelib.reaper import Outcome


class UnitFailed(MonocyteError):
    """A queued unit failed; raised so that SQS retries it, then dead-letters it."""


def accounts(settings: Settings, clients: Clients) -> list[str]:
    """The accounts to scan: the fixed list, the organization's active accounts (read
    through the management account's role), or this account alone."""
    if settings.accounts:
        return list(settings.accounts)
    if not settings.organization_role:
        return [clients.own_account()]
    session = clients.assumed_session(settings.organization_role)
    # Organizations is a global service answered from us-east-1.
    org = session.client("organizations", region_name="us-east-1")
    with aws_errors():
        pages = org.get_paginator("list_accounts").paginate()
        return sorted(a["Id"] for page in pages for a in page["Accounts"]
                      if a.get("Status", "ACTIVE") == "ACTIVE")


def watches(account: str, caller: str | None, settings: Settings, clients: Clients) -> bool:
    """Whether Monocyte may act in ``account`` for an event of ``caller``'s: the
    caller's own, or one of the fleet's. A copy sent to any other account (a backup
    vault, a replication bucket named in the request) is not ours to delete, even
    where a role of that name would let us."""
    if account == caller:
        return True
    if not (settings.accounts or settings.organization_role):
        return False  # one account alone: the caller's
    try:
        return account in accounts(settings, clients)
    except AwsError as error:
        log.emit("unplaced", logging.WARNING, reason=f"accounts not known: {error}",
                 account=account)
        return False


def messages(settings: Settings, clients: Clients) -> tuple[list[dict], list[scan.Failure]]:
    """One message body per unit of work, and the accounts that could not be planned."""
    bodies, failures = [], []
    regional = [t for t in registry.listed_types() if not t.listing.per_account]
    for account in accounts(settings, clients):
        units, regions, failure = scan.plan_account(account, None, regional, settings, clients)
        if failure:
            failures.append(failure)
        bodies += [{"account": account, "region": r} for r in regions]
        if units or regions:
            bodies.append({"account": account, "region": scan.GLOBAL})
    return bodies, failures


# SQS takes at most ten messages per SendMessageBatch, and their bodies together count
# against the same message size as one message.
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
BATCH_MAX_MESSAGES = 10


def batches(bodies: list[str]) -> list[list[str]]:
    """The bodies in SendMessageBatch calls: ten at most, within SQS's message size
    together. A unit is an account and a region, so one body is small; one that is
    not (it cannot be cut: it names the unit) is refused with a clear error."""
    found: list[list[str]] = []
    size = 0
    for body in bodies:
        length = limits.sqs_body_bytes(body)
        if length > limits.SQS_MESSAGE_MAX_BYTES:
            raise EventError(f"a scan unit is {length} bytes, more than SQS takes: {body:.100}")
        if not found or len(found[-1]) == BATCH_MAX_MESSAGES \
                or size + length > limits.SQS_MESSAGE_MAX_BYTES:
            found.append([])
            size = 0
        found[-1].append(body)
        size += length
    return found


def enqueue(settings: Settings, clients: Clients) -> dict:
    """Put every unit of tonight's scan on the queue (batches of ten)."""
    bodies, failures = messages(settings, clients)
    sqs = clients.client("sqs", settings.home_region)
    with aws_errors():
        url = sqs.get_queue_url(QueueName=settings.scan_queue)["QueueUrl"]
        for batch in batches([json.dumps(body) for body in bodies]):
            answer = sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(n), "MessageBody": body} for n, body in enumerate(batch)])
            if answer.get("Failed"):
                raise AwsError(f"SendMessageBatch refused {len(answer['Failed'])} messages")
    for failure in failures:
        log.emit("unit-failed", logging.WARNING, **failure.to_dict())
    return {"queued": len(bodies), "account_failures": len(failures)}


def _json_object(body: str) -> dict:
    try:
        data = json.loads(body)
    except (TypeError, ValueError) as error:
        raise EventError(f"scan message is not JSON: {error}") from error
    if not isinstance(data, dict):
        raise EventError("scan message is not a JSON object")
    return data


def parse(body: str) -> tuple[str, str]:
    """(account, region) from a queued message; EventError when it is not one."""
    data = _json_object(body)
    account, region = data.get("account"), data.get("region")
    if not (isinstance(account, str) and len(account) == 12 and account.isdigit()):
        raise EventError(f"scan message has no 12-digit account: {account!r}")
    if region != scan.GLOBAL and region not in scan.known_regions():
        raise EventError(f"scan message names an unknown region: {region!r}")
    return account, region


def run_message(body: str, settings: Settings, clients: Clients,
                verdicts: Callable[[Outcome], None] | None = None,
                breaker: Any = None) -> scan.Report:
    """Scan the unit a message names. Raises UnitFailed when any of it failed, so that
    SQS retries the message and finally dead-letters it."""
    account, region = parse(body)
    report = scan.Report(regions=[] if region == scan.GLOBAL else [region])
    if region == scan.GLOBAL:
        types = [t for t in registry.listed_types() if t.listing.per_account]
        units = [scan.Unit(account, scan.GLOBAL, t.cfn_type) for t in types]
    else:
        types = [t for t in registry.listed_types() if not t.listing.per_account]
        types += scanning.listed()  # the generic table's rows, by Cloud Control
        units = scan.plan(account, [region], types, clients)
    keep = set(scan.known_regions()) - settings.allowed_regions
    scan.run_units(units, keep, settings, clients, report, verdicts=verdicts, breaker=breaker)
    if report.failures:
        raise UnitFailed("; ".join(f"{f.unit.region} {f.unit.type}: {f.reason}"
                                   for f in report.failures))
    return report


_NO_QUEUE = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def dead_letters(settings: Settings, clients: Clients, limit: int = 100,
                 queue: str | None = None) -> list[dict]:
    """The messages of a dead-letter queue (by default the scan's), looked at without
    taking them. NotFound when there is no such queue."""
    sqs = clients.client("sqs", settings.home_region)
    found: list[dict] = []
    with aws_errors(not_found=_NO_QUEUE):
        url = sqs.get_queue_url(QueueName=queue or settings.scan_queue + "-dlq")["QueueUrl"]
        while len(found) < limit:
            answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                         VisibilityTimeout=0, WaitTimeSeconds=0,
                                         MessageAttributeNames=["All"])
            batch = answer.get("Messages", [])
            new = [m for m in batch if m["MessageId"] not in {f["id"] for f in found}]
            if not new:
                break
            found += [{"id": m["MessageId"], "body": m["Body"],
                       "attributes": {k: v.get("StringValue", "") for k, v in
                                      m.get("MessageAttributes", {}).items()}} for m in new]
    return found


def reap_dead_letters(settings: Settings, clients: Clients, limit: int = 100) -> list[dict]:
    """The events ``reap`` could not take, from its on-failure queue (Lambda's
    invocation records: the event is the ``requestPayload``), left in the queue. None
    when there is no such queue (``chalice deploy`` without the central stack) or it
    cannot be read: one log line, and the summary says so."""
    from chalicelib.templates import REAP_DLQ

    try:
        letters = dead_letters(settings, clients, limit, queue=REAP_DLQ)
    except AwsError as error:
        log.emit("reap-dlq-unreadable", logging.WARNING, queue=REAP_DLQ, reason=str(error))
        return None  # type: ignore[return-value]
    return [describe_reap_failure(letter) for letter in letters]


def describe_reap_failure(letter: dict) -> dict:
    """Why an event failed, and which call of which account and region it carried
    (one that cannot be read says so). Two shapes land in the queue: Lambda's
    invocation record (the event in ``requestPayload``, why in its ``requestContext``)
    and, from EventBridge's rule target, the event itself, why in the message
    attributes ERROR_CODE and EXHAUSTED_RETRY_CONDITION."""
    try:
        record = json.loads(letter["body"])
        if "requestContext" in record:
            payload = record.get("requestPayload") or {}
            why = str(record["requestContext"].get("condition", ""))
        else:
            payload = record
            attributes = letter.get("attributes") or {}
            why = " ".join(filter(None, (attributes.get("ERROR_CODE"),
                                         attributes.get("EXHAUSTED_RETRY_CONDITION"))))
        detail = payload.get("detail") or {}
        return {"id": letter["id"],
                "condition": why or "unknown",
                "account": str(payload.get("account", "")),
                "region": str(detail.get("awsRegion") or payload.get("region", "")),
                "event": f"{detail.get('eventSource', '')} {detail.get('eventName', '')}".strip(),
                "time": str(payload.get("time", ""))}
    except (TypeError, ValueError, AttributeError):
        return {"id": letter["id"], "condition": "unreadable", "account": "", "region": "",
                "event": "", "time": ""}


def summary_from_log(records: list[dict], dead: list[dict]) -> scan.Report:
    """A Report rebuilt from the verdict log's scan records, its uncovered creates and
    the dead letters, for the nightly summary when the scan ran as many queued units."""
    report = scan.Report()
    fields = set(Outcome.__dataclass_fields__)
    for record in records:
        if record.get("event") == "scan":
            report.outcomes.append(Outcome(**{k: v for k, v in record.items() if k in fields}))
        elif record.get("action") == reaper.UNCOVERED:
            report.uncovered.append(record)
        elif record.get("action") == reaper.DATA_FLOW:
            report.data_flows.append(record)
    for letter in dead:
        try:
            account, region = parse(letter["body"])
        except EventError:
            continue
        report.failures.append(scan.Failure(scan.Unit(account, region, "(all types)"),
                                            "failed three times; in the dead-letter queue"))
    return report


def handle_sqs(records: Any, settings: Settings, clients: Clients,
               verdicts: Callable[[Outcome], None] | None, breaker: Any = None) -> None:
    """The body of ``scan_unit``: scan units and deferred kills (chalicelib.retry). A
    malformed message is logged and dropped (retrying it cannot help); a failed unit
    raises for SQS to retry."""
    for record in records:
        try:
            data = _json_object(record.body)
            if retry.KEY in data:
                retry.run(data, settings, clients, verdicts, breaker)
            else:
                run_message(record.body, settings, clients, verdicts, breaker)
        except EventError as error:
            log.emit("malformed", logging.WARNING, reason=str(error))
