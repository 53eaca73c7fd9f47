"""What the Lambda handlers share: settings and clients, built once per cold start."""
from __future__ import annotations

import functools
import logging
import os
from typing import Any

from chalice.app import CloudWatchEvent

from chalicelib import config, log, reaper
from chalicelib.aws import Clients
from chalicelib.errors import ConfigError
from chalicelib.templates import SCAN_QUEUE  # the central template's queue


class RawEvent(CloudWatchEvent):
    """Chalice's event wrapper without its KeyError on a malformed envelope: the
    reaper reads (and rejects, with one log line) whatever arrives."""

    def _extract_attributes(self, event_dict: Any) -> None:
        get = event_dict.get if isinstance(event_dict, dict) else (lambda key: None)
        self.version = get("version")
        self.account = get("account")
        self.region = get("region")
        self.detail = get("detail")
        self.detail_type = get("detail-type")
        self.source = get("source")
        self.time = get("time")
        self.event_id = get("id")
        self.resources = get("resources")


@functools.lru_cache(maxsize=1)
def settings() -> config.Settings:
    # Lambda's root logger stops at WARNING; outcomes are INFO.
    if log.logger.level == logging.NOTSET:
        log.logger.setLevel(logging.INFO)
    try:
        built = config.from_env()
    except ConfigError as error:
        # One clear line, then refuse to run: nothing is touched with bad settings.
        log.emit("config-error", logging.ERROR, reason=str(error))
        raise
    built = _with_exemptions(built)
    log.emit("settings", **config.describe(built))
    if built.exemptions_error:
        log.emit("exemptions-broken", logging.ERROR, reason=built.exemptions_error,
                 effect="report-only: nothing is deleted until the list is fixed")
    return built


def _with_exemptions(built: config.Settings) -> config.Settings:
    from chalicelib.exemptions import with_parameter

    return with_parameter(built, Clients(built))


@functools.lru_cache(maxsize=1)
def clients() -> Clients:
    return Clients(settings())


@functools.lru_cache(maxsize=1)
def verdicts():
    from chalicelib import verdicts as built

    return built.build(settings(), clients())


@functools.lru_cache(maxsize=1)
def breaker():
    from chalicelib import breaker as built

    # Verdicts (table, Slack) are built when first needed, not for ignored events.
    return built.build(settings(), clients(), alert=lambda reason: verdicts().alert(reason))


def reap(event: Any) -> list[dict]:
    """The ``reap`` handler's body: one create-call event."""
    from chalicelib import retry

    record = lambda outcome: verdicts()(outcome)  # noqa: E731
    outcomes = reaper.reap(event, settings(), clients(), record, breaker())
    for outcome in outcomes:
        if outcome.action == reaper.DEFERRED:
            retry.later(outcome, 1, settings(), clients())
    return [o.to_dict() for o in outcomes]


def scan_schedule() -> str:
    """When the nightly scan runs: ``MONOCYTE_SCAN_SCHEDULE`` at deploy time, an
    EventBridge schedule expression, by default 02:00 UTC."""
    return os.environ.get("MONOCYTE_SCAN_SCHEDULE", "").strip() or "cron(0 2 * * ? *)"


def summary_schedule() -> str:
    """When the summary of a queued scan is sent: two hours after it starts."""
    return os.environ.get("MONOCYTE_SUMMARY_SCHEDULE", "").strip() or "cron(0 4 * * ? *)"


def nightly_scan() -> dict:
    """The ``nightly_scan`` handler's body. With a scan queue: one message per
    (account, region) for ``scan_unit``. Without: the accounts scanned right here."""
    from chalicelib import fleet, scan

    if settings().scan_queue:
        queued = fleet.enqueue(settings(), clients())
        log.emit("scan-queued", **queued)
        return queued
    report = scan.scan(settings(), clients(), verdicts=verdicts(),
                       accounts=fleet.accounts(settings(), clients()), breaker=breaker())
    verdicts().summary(report)
    summary = {"regions": len(report.regions), "units": report.units,
               "list_calls": report.list_calls, "failures": len(report.failures),
               "outcomes": len(report.outcomes), "ok": report.ok}
    log.emit("scan-summary", **summary)
    return summary


def scan_unit(records: Any) -> None:
    """The ``scan_unit`` handler's body: the queued units of a batch."""
    from chalicelib import fleet

    fleet.handle_sqs(records, settings(), clients(), verdicts(), breaker())


def nightly_summary() -> dict:
    """After a queued scan: the summary from the verdict log and the dead letters."""
    import datetime

    from chalicelib import audit, fleet

    current = settings()
    if not (current.scan_queue and current.audit_table):
        return {"skipped": "the summary follows the scan itself without a queue and table"}
    since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=23)
    records = audit.VerdictLog(clients().client("dynamodb", current.home_region),
                               current.audit_table).recent(since)
    report = fleet.summary_from_log(records, fleet.dead_letters(current, clients()))
    reap_failures = fleet.reap_dead_letters(current, clients())
    verdicts().summary(report, reap_failures)
    return {"outcomes": len(report.outcomes), "failures": len(report.failures),
            "reap_dead_letters": None if reap_failures is None else len(reap_failures)}


def reset() -> None:
    """Forget settings and clients (tests, the demo, a changed environment)."""
    settings.cache_clear()
    clients.cache_clear()
    verdicts.cache_clear()
    breaker.cache_clear()


def report_schedule() -> str:
    """When last month's report is made: ``MONOCYTE_REPORT_SCHEDULE``, by default the
    1st of the month at 06:00 UTC (after that night's scan and summary)."""
    return os.environ.get("MONOCYTE_REPORT_SCHEDULE", "").strip() or "cron(0 6 1 * ? *)"


def monthly_report() -> dict:
    """The ``monthly_report`` handler's body: last month's HTML and CSV to the reports
    bucket, the headline numbers to Slack."""
    from chalicelib import report_store

    done = report_store.monthly(settings(), clients(), verdicts().slack)
    log.emit("monthly-report", **done)
    return done
