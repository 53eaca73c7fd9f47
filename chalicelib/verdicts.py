"""Step 6 of the decision: record the verdict, then tell Slack.

The record is written first, so a Slack outage never loses one; a failure to write
it is logged loudly with the whole outcome, and the message still goes out.
"""
from __future__ import annotations

import logging
from typing import Any

from chalicelib import audit, log, notify
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

    def __call__(self, outcome: Outcome) -> None:
        if not audit.worth_recording(outcome):
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

    def alert(self, reason: str) -> None:
        """The blast-radius breaker opened: one loud log line and one message."""
        log.emit("breaker-open", logging.ERROR, reason=reason,
                 effect="report-only until `monocyte breaker reset`")
        if self.slack:
            self.slack.send(notify.breaker_message(reason))

    def summary(self, report: Any, reap_failures: list[dict] | None = ()) -> None:
        """The nightly summary, after a scan (and what landed in reap's dead letters)."""
        if self.slack:
            self.slack.send(notify.summary_message(report, self.settings.dry_run,
                                                   reap_failures))


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
