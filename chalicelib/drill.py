"""``monocyte doctor --drill``: a fire drill over the real path, CloudTrail included.

In every (account, region) outside the allowed set, one empty SQS queue named
``monocyte-drill-<run>`` is created through the member role (which may create queues
of that name only: templates.DRILL_STATEMENT). CloudTrail logs the call, the forwarder
sends it to the central bus, the reaper kills the queue; the drill watches each queue
until it is gone and reports the time from create to kill. A queue still alive after
the timeout is a hole somewhere on that path, and the drill deletes it itself.

Nothing is ever created in an allowed region. The waiting (``wait``, ``clock``) and
the creating (``create``) are parameters, so that a test can play CloudTrail and the
reaper in between without sleeping.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import logging
import time
import uuid
from typing import Any, Callable

from chalicelib import doctor, log
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.errors import AwsError, NotFound, aws_errors
from chalicelib.resources.sqs import NOT_FOUND
from chalicelib.templates import DRILL_QUEUE_PREFIX

OK, HOLE = doctor.OK, doctor.HOLE
# CloudTrail delivers most events to EventBridge within a few minutes; fifteen is
# generous, and a drill that waits longer hides a path too slow to matter.
DEFAULT_TIMEOUT_SECONDS = 900.0
DEFAULT_POLL_SECONDS = 10.0


@dataclasses.dataclass(frozen=True)
class Drill:
    account: str
    region: str
    queue: str
    status: str
    seconds: float | None  # from create to kill; None when it was not killed
    detail: str


def queue_name(now: datetime.datetime | None = None) -> str:
    """A name no team uses, unique per run: the prefix, the UTC time, a random part."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return f"{DRILL_QUEUE_PREFIX}{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"


def _create_queue(sqs: Any, name: str) -> str:
    return sqs.create_queue(QueueName=name)["QueueUrl"]


def _alive(sqs: Any, url: str) -> bool:
    try:
        with aws_errors(not_found=NOT_FOUND):
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["CreatedTimestamp"])
    except NotFound:
        return False
    return True


def run(settings: Settings, clients: Clients, regions: list[str] | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS, poll: float = DEFAULT_POLL_SECONDS,
        create: Callable[[Any, str], str] = _create_queue,
        wait: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic) -> list[Drill]:
    """One drill per (account, region) outside the allowed set, sorted by account and
    region. ``create(sqs_client, name)`` makes the queue and returns its URL."""
    _, todo = doctor.pairs(settings, clients, regions)
    todo = [(a, r) for a, r in todo if not settings.allows(r)]  # never in an allowed one
    name = queue_name()
    results: dict[tuple[str, str], Drill] = {}
    started: dict[tuple[str, str], tuple[str, float]] = {}
    for account, region in todo:
        try:
            with aws_errors():
                url = create(clients.client("sqs", region, account), name)
        except AwsError as error:
            results[(account, region)] = Drill(account, region, name, HOLE, None,
                                               f"could not create the drill queue: {error}")
            continue
        started[(account, region)] = (url, clock())
        log.emit("drill-created", account=account, region=region, queue=url)
    deadline = clock() + timeout
    pending = dict(started)
    with concurrent.futures.ThreadPoolExecutor(max_workers=settings.scan_workers) as pool:
        while pending:
            alive = dict(zip(pending, pool.map(lambda pair: _still_alive(pair, pending[pair][0],
                                                                          clients), pending)))
            now = clock()
            for pair, is_alive in alive.items():
                if is_alive is False:
                    url, began = pending.pop(pair)
                    results[pair] = Drill(*pair, url, OK, now - began, "killed by the reaper")
                elif isinstance(is_alive, str):
                    url, _ = pending.pop(pair)
                    results[pair] = Drill(*pair, url, HOLE, None, is_alive)
            if not pending or now >= deadline:
                break
            wait(min(poll, max(0.0, deadline - now)))
    for pair, (url, _) in pending.items():
        results[pair] = _give_up(pair, url, timeout, clients)
    return sorted(results.values(), key=lambda d: (d.account, d.region))


def _still_alive(pair: tuple[str, str], url: str, clients: Clients) -> bool | str:
    """True, False, or why the queue cannot be watched."""
    account, region = pair
    try:
        return _alive(clients.client("sqs", region, account), url)
    except AwsError as error:
        return f"cannot watch the drill queue: {error}"


def _give_up(pair: tuple[str, str], url: str, timeout: float, clients: Clients) -> Drill:
    account, region = pair
    detail = (f"still alive after {timeout:.0f} s: CloudTrail, the forwarder or the "
              "reaper does not reach this region")
    try:
        with aws_errors(not_found=NOT_FOUND):
            clients.client("sqs", region, account).delete_queue(QueueUrl=url)
        detail += "; the doctor deleted the queue"
    except NotFound:
        detail += "; the queue is gone now (killed late)"
    except AwsError as error:
        detail += f"; could not delete it ({error}): delete {url} by hand"
        log.emit("drill-left", logging.ERROR, account=account, region=region, queue=url,
                 reason=str(error))
    return Drill(account, region, url, HOLE, None, detail)
