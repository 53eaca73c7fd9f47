"""Step 6 of the decision: record the verdict, then tell Slack.

The record is written first, so a Slack outage never loses one; a failure to write
it is logged loudly with the whole outcome, and the message still goes out.
"""
from __future__ import annotations

import datetime
import logging
from typing import Any

from chalicelib import audit, dataflow, log, notify, reaper, uncovered
from chalicelib.aws import Clients
from chalicelib.config import Settings
from chalicelib.errors import AwsError, ConfigError
from chalicelib.reaper import Outcome


class Verdicts:
    """Called with every outcome of the event path and the scan."""

    def __init__(self, settings: Settings, verdict_log: audit.VerdictLog | None,
                 slack: notify.Slack | None):
        self.settings = settings
        self.log = verdict_log
        self.slack = slack
        # Uncovered creates seen by this process: its dedupe without a table (or when
        # the table fails), and the nightly summary's list without a table.
        self._recorded: set[str] = set()
        self._posted: set[tuple[str, str]] = set()
        self.uncovered: list[Outcome] = []
        self.data_flows: list[Outcome] = []

    def __call__(self, outcome: Outcome) -> None:
        if not audit.worth_recording(outcome):
            return
        if outcome.action == reaper.UNCOVERED:
            self._uncovered(outcome)
            return
        if outcome.action == reaper.DATA_FLOW:
            self._data_flow(outcome)
            return
        if self.log:
            try:
                self.log.write(outcome)
            except AwsError as error:
                log.emit("audit-failed", logging.ERROR, reason=str(error),
                         outcome=outcome.to_dict())
        if self.slack and outcome.action in notify.NOTIFIED:
            self.slack.send(notify.kill_message(
                outcome, self.settings.account_name(outcome.account)))

    def _uncovered(self, outcome: Outcome) -> None:
        """Recorded once per event (a second delivery adds nothing), posted once a day
        per (account, region, event source and name): a burst is one message."""
        if not self._first_delivery(outcome):
            return
        self.uncovered.append(outcome)
        if self.slack and self._first_today(outcome):
            self.slack.send(notify.uncovered_message(
                outcome, self.settings.account_name(outcome.account)))

    def _data_flow(self, outcome: Outcome) -> None:
        """Recorded once per event and destination (a second delivery adds nothing),
        posted once a day per (account, source resource, destination region)."""
        key = dataflow.day_key(outcome)
        event_id = dataflow.event_of(outcome.notes)
        if not self._first_delivery(outcome, f"{event_id}#{key}" if event_id else ""):
            return
        self.data_flows.append(outcome)
        if self.slack and self._first_today(outcome, f"data-flow#{key}"):
            self.slack.send(notify.data_flow_message(
                outcome, self.settings.account_name(outcome.account)))

    def _first_delivery(self, outcome: Outcome, key: str | None = None) -> bool:
        key = outcome.id if key is None else key
        if key and key in self._recorded:
            return False
        if self.log:
            try:
                if key:
                    new = self.log.write_once(outcome, key)
                else:  # no event id: nothing to dedupe on, so each is recorded
                    self.log.write(outcome)
                    new = True
                if not new:
                    return False
            except AwsError as error:
                log.emit("audit-failed", logging.ERROR, reason=str(error),
                         outcome=outcome.to_dict())
        if key:
            self._recorded.add(key)
        return True

    def _first_today(self, outcome: Outcome, key: str | None = None) -> bool:
        day = outcome.at[:10]
        key = f"uncovered#{uncovered.day_key(outcome)}" if key is None else key
        if (day, key) in self._posted:
            return False
        self._posted.add((day, key))
        if self.log:
            try:
                return self.log.mark(day, key)
            except AwsError as error:
                # Without the shared marker this process's memory decides.
                log.emit("audit-failed", logging.ERROR, reason=str(error),
                         outcome=outcome.to_dict())
        return True

    def alert(self, reason: str) -> None:
        """The blast-radius breaker opened: one loud log line and one message."""
        log.emit("breaker-open", logging.ERROR, reason=reason,
                 effect="report-only until `monocyte breaker reset`")
        if self.log:  # the report counts the openings
            try:
                # A per-account opening names its account first (breaker.py).
                account = reason.split(" ", 2)[1] if reason.startswith("account ") else ""
                self.log.write(Outcome("breaker-open", "", "", "", account, reason))
            except AwsError as error:
                log.emit("audit-failed", logging.ERROR, reason=str(error))
        if self.slack:
            self.slack.send(notify.breaker_message(reason))

    def summary(self, report: Any, reap_failures: list[dict] | None = ()) -> None:
        """The nightly summary, after a scan (and what landed in reap's dead letters),
        with the last day's uncovered creates: the report's own (fleet.summary_from_log
        read them), else the verdict log's, else this process's."""
        if not report.uncovered:
            report.uncovered = self._recent_uncovered()
        if not getattr(report, "data_flows", None):
            report.data_flows = self._recent(reaper.DATA_FLOW, self.data_flows)
        if self.slack:
            self.slack.send(notify.summary_message(report, self.settings.dry_run,
                                                   reap_failures))

    def _recent_uncovered(self) -> list[dict]:
        return self._recent(reaper.UNCOVERED, self.uncovered)

    def _recent(self, action: str, mine: list[Outcome]) -> list[dict]:
        """The last day's verdicts of one action: the verdict log's, else this
        process's."""
        if self.log:
            since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=24)
            try:
                return [r for r in self.log.recent(since)
                        if r.get("action") == action]
            except AwsError as error:
                log.emit("audit-failed", logging.ERROR, reason=str(error))
        return [o.to_dict() for o in mine]


def build(settings: Settings, clients: Clients) -> Verdicts:
    """The verdict log and Slack as the settings ask. A Slack parameter that cannot be
    read is one clear error line, and kills go on with the log alone."""
    verdict_log = None
    if settings.audit_table:
        verdict_log = audit.VerdictLog(clients.client("dynamodb", settings.home_region),
                                       settings.audit_table, settings.audit_ttl_days)
    slack = None
    try:
        ssm = (clients.client("ssm", settings.home_region)
               if settings.slack_webhook_parameter else None)
        url = notify.webhook_url(settings, ssm)
        slack = notify.Slack(url) if url else None
    except ConfigError as error:
        log.emit("notify-config-error", logging.ERROR, reason=str(error))
    return Verdicts(settings, verdict_log, slack)
