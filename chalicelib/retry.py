"""Kills that must wait: a resource still being created (an EKS cluster, an RDS
instance, an OpenSearch domain) refuses deletion for minutes. The event path does not
forget it: the target goes back on the scan queue with a delay, and ``scan_unit``
tries again, up to ``MONOCYTE_RETRY_ATTEMPTS`` times. After that the nightly scan is
the last net. Without a queue (the command line) the nightly scan is the only one.
"""
from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any, Callable

from chalicelib import limits, log, reaper
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.errors import AwsError, EventError, aws_errors
from chalicelib.events import Target
from chalicelib.reaper import Outcome

KEY = "retry"  # a queued message with this key is a deferred kill, not a scan unit


def message(target: Target, attempt: int) -> dict:
    return {KEY: dataclasses.asdict(target), "attempt": attempt}


def fitted_body(target: Target, attempt: int) -> str | None:
    """The queued message of a retry, within SQS's message size: who created it and
    when are cut if need be. The type, id, region and account are what the retry acts
    on, so they are never cut: a target that does not fit without cutting them is not
    queued at all (None), and the nightly scan takes it."""
    fields, _ = limits.shrink(dataclasses.asdict(target), _fits, ("creator", "created", "event"))
    body = json.dumps({KEY: fields, "attempt": attempt})
    return body if limits.sqs_body_bytes(body) <= limits.SQS_MESSAGE_MAX_BYTES else None


def _fits(fields: dict) -> bool:
    return limits.sqs_body_bytes(json.dumps({KEY: fields, "attempt": 1})) \
        <= limits.SQS_MESSAGE_MAX_BYTES - 64  # room for a longer attempt number


def target_of(outcome: Outcome) -> Target:
    return Target(outcome.type, outcome.id, outcome.region, outcome.account, outcome.event,
                  outcome.creator, outcome.created)


def later(outcome: Outcome, attempt: int, settings: Settings, clients: Clients) -> bool:
    """Queue another try of a deferred kill; False (and a warning) when it cannot be,
    which leaves it to the nightly scan."""
    if attempt > settings.retry_attempts:
        log.emit("retry-exhausted", logging.WARNING, type=outcome.type, id=outcome.id,
                 region=outcome.region, account=outcome.account, attempts=attempt - 1,
                 effect="the nightly scan takes it")
        return False
    if not settings.scan_queue:
        return False
    body = fitted_body(target_of(outcome), attempt)
    if body is None:
        log.emit("retry-not-queued", logging.ERROR, type=outcome.type, id=outcome.id[:200],
                 reason="the target is too big for an SQS message even cut",
                 effect="the nightly scan takes it")
        return False
    sqs = clients.client("sqs", settings.home_region)
    try:
        with aws_errors():
            url = sqs.get_queue_url(QueueName=settings.scan_queue)["QueueUrl"]
            sqs.send_message(QueueUrl=url, DelaySeconds=settings.retry_delay_seconds,
                             MessageBody=body)
    except AwsError as error:
        log.emit("retry-not-queued", logging.ERROR, id=outcome.id, reason=str(error),
                 effect="the nightly scan takes it")
        return False
    log.emit("retry-queued", type=outcome.type, id=outcome.id, region=outcome.region,
             attempt=attempt, delay_seconds=settings.retry_delay_seconds)
    return True


def parse(data: dict) -> tuple[Target, int]:
    """The target and attempt of a queued retry; EventError when it is not one."""
    fields = data.get(KEY)
    attempt = data.get("attempt")
    names = {f.name for f in dataclasses.fields(Target)}
    if not (isinstance(fields, dict) and set(fields) <= names
            and all(isinstance(fields.get(k), str) and fields[k]
                    for k in ("type", "id", "region", "account"))
            and isinstance(attempt, int) and attempt >= 1):
        raise EventError(f"retry message is not a target and an attempt: {data!r:.200}")
    return Target(**fields), attempt


def run(data: dict, settings: Settings, clients: Clients,
        verdicts: Callable[[Outcome], None] | None = None, breaker: Any = None) -> Outcome:
    """One more try: the whole decision again (the region, the exemptions, the live
    check may have changed), and another retry if it is still not deletable."""
    from chalicelib import registry

    target, attempt = parse(data)
    try:
        registry.get(target.type)
    except KeyError:
        raise EventError(f"retry message names an unknown type: {target.type!r}") from None
    outcome = reaper.handle(target, settings, clients, breaker=breaker)
    if verdicts:
        verdicts(outcome)
    if outcome.action == reaper.DEFERRED:
        later(outcome, attempt + 1, settings, clients)
    return outcome
