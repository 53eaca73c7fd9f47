"""Slack: one Block Kit message per kill (and failed kill), a nightly summary.

The webhook URL is a secret: it comes from the settings or from an SSM SecureString,
is read once per cold start, and never appears in a log line or an error.
"""
from __future__ import annotations

import datetime
import logging
from typing import Any

from chalicelib import dataflow, log, reaper
from chalicelib.config import Settings
from chalicelib.errors import AwsError, ConfigError, aws_errors
from chalicelib.reaper import Outcome

# slack_sdk logs the full request URL, which is the secret: its lines go nowhere.
_SDK_LOGGER = logging.getLogger("monocyte.slack-sdk")
_SDK_LOGGER.propagate = False
_SDK_LOGGER.disabled = True

# Which outcomes are worth a message: what was (or would be) deleted, and what failed.
NOTIFIED = (reaper.KILLED, reaper.WOULD_KILL, reaper.FAILED, reaper.CUT_OFF)
_TITLES = {reaper.KILLED: "Killed", reaper.WOULD_KILL: "Would kill (dry run)",
           reaper.FAILED: "Kill FAILED",
           reaper.CUT_OFF: "CUT OFF, cannot be deleted: a human must act"}


def webhook_url(settings: Settings, ssm_client: Any | None) -> str | None:
    """The URL, or None when Slack is not configured. Raises ConfigError (naming the
    parameter, never the URL) when the parameter is missing or unreadable."""
    if settings.slack_webhook_url:
        return settings.slack_webhook_url
    name = settings.slack_webhook_parameter
    if not name:
        return None
    try:
        with aws_errors():
            answer = ssm_client.get_parameter(Name=name, WithDecryption=True)
    except AwsError as error:
        raise ConfigError(f"MONOCYTE_SLACK_WEBHOOK_PARAMETER {name!r} cannot be read "
                          f"({error.code or type(error).__name__})") from None
    value = answer["Parameter"].get("Value", "").strip()
    if not value.startswith("https://"):
        raise ConfigError(f"MONOCYTE_SLACK_WEBHOOK_PARAMETER {name!r} does not hold "
                          "an https:// URL")
    return value


class Slack:
    """Posts messages through an incoming webhook, retrying rate limits (429, with
    Slack's Retry-After), server errors and dropped connections."""

    def __init__(self, url: str, timeout: int = 5):
        from slack_sdk.http_retry.builtin_handlers import (
            ConnectionErrorRetryHandler, RateLimitErrorRetryHandler,
            ServerErrorRetryHandler)
        from slack_sdk.webhook import WebhookClient

        self._client = WebhookClient(url, timeout=timeout, retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ], logger=_SDK_LOGGER)

    def send(self, message: dict) -> bool:
        """True when Slack took the message; a failure is logged (without the URL)."""
        try:
            answer = self._client.send_dict(message)
        except Exception as error:  # noqa: BLE001 - a failed message must not stop a kill
            log.emit("slack-failed", logging.ERROR, error=type(error).__name__)
            return False
        if answer.status_code != 200:
            log.emit("slack-failed", logging.ERROR, status=answer.status_code,
                     body=str(answer.body)[:200])
            return False
        return True


def _seconds_between(start: str | None, end: str) -> int | None:
    if not start:
        return None
    try:
        begin = datetime.datetime.fromisoformat(start.replace("Z", "+00:00"))
        finish = datetime.datetime.fromisoformat(end.replace("Z", "+00:00"))
    except ValueError:
        return None
    if begin.tzinfo is None:
        begin = begin.replace(tzinfo=datetime.timezone.utc)
    return max(0, int((finish - begin).total_seconds()))


def _field(label: str, value: str) -> dict:
    return {"type": "mrkdwn", "text": f"*{label}*\n{value}"[:2000]}


def kill_message(outcome: Outcome, account_name: str | None = None) -> dict:
    """One message for one kill, would-be kill or failed kill; short enough for a phone."""
    title = f"{_TITLES.get(outcome.action, outcome.action)}: {outcome.type}"
    account = outcome.account + (f" ({account_name})" if account_name else "")
    lived = _seconds_between(outcome.created, outcome.at)
    fields = [
        _field("Resource", f"`{outcome.id}`"),
        _field("Region", outcome.region),
        _field("Account", account),
        _field("Created by", outcome.creator or "unknown (found by the scan)"),
        _field("Created", outcome.created or "unknown"),
        _field("Lived", f"{lived} s" if lived is not None else "unknown"),
    ]
    context = f"{outcome.reason}."
    if outcome.notes:  # only when something was done before the delete
        context += f" Done first: {'; '.join(outcome.notes)}."
    if outcome.missed:
        context += " Missed by the event path: check the forwarders."
    return {
        "text": f"{title} {outcome.id} in {outcome.region} ({outcome.account})",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
            {"type": "section", "fields": fields},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context[:3000]}]},
        ],
    }


def summary_message(report: Any, dry_run: bool, reap_failures: list[dict] | None = ()) -> dict:
    """The nightly summary of a scan report: counts, failures, misses, worst first; and
    the events the reaper could not take (its dead-letter queue; None: unreadable)."""
    rows = report.summary()
    verb = "would kill" if dry_run else "killed"
    killed = sum(r[reaper.KILLED] + r[reaper.WOULD_KILL] for r in rows)
    failed = len(report.failures) + sum(1 for o in report.outcomes
                                        if o.action in (reaper.FAILED, reaper.CUT_OFF))
    missed = [o for o in report.outcomes if o.missed]
    title = f"Nightly scan: {killed} {verb}, {failed} failed, {len(missed)} missed by events"
    if getattr(report, "uncovered", None):
        title += f", {len(report.uncovered)} uncovered creates"
    flows = data_flow_rows(getattr(report, "data_flows", []))
    if flows:
        title += f", {len(flows)} data flows out of the EU"
    worst = sorted(rows, key=lambda r: (-r[reaper.FAILED], -r["missed"],
                                        -(r[reaper.KILLED] + r[reaper.WOULD_KILL]),
                                        r["region"], r["type"]))
    lines = [f"{r['region']} {r['type']}: {r['found']} found, "
             f"{r[reaper.KILLED] + r[reaper.WOULD_KILL]} {verb}, {r[reaper.FAILED]} failed, "
             f"{r['missed']} missed" for r in worst[:15]]
    if len(worst) > 15:
        lines.append(f"… and {len(worst) - 15} more rows (monocyte log)")
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
              {"type": "section", "text": {"type": "mrkdwn",
                                           "text": ("\n".join(lines) or "Nothing found.")[:3000]}}]
    problems = [f"unit {f.unit.region} {f.unit.type}: {f.reason}" for f in report.failures]
    problems += [f"{o.type} `{o.id}` in {o.region}: {o.reason}"
                 for o in report.outcomes if o.action == reaper.FAILED]
    # Escalated every night until a human deletes what Monocyte cannot.
    problems += [f"CUT OFF {o.type} `{o.id}` in {o.region} ({o.account}): {o.reason}"
                 for o in report.outcomes if o.action == reaper.CUT_OFF]
    if problems:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": (
            "*Failures*\n" + "\n".join(problems[:10]))[:3000]}})
    if missed:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": (
            "*Missed by the event path*\n" + "\n".join(
                f"{o.type} `{o.id}` in {o.region}, created {o.created}" for o in missed[:10])
        )[:3000]}})
    seen = uncovered_rows(getattr(report, "uncovered", []))
    if seen:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": (
            f"*Uncovered creates ({sum(r['count'] for r in seen)} calls, no type claims "
            "them)*\n" + "\n".join(
                f"{r['event']} in {r['region']} ({r['account']}): {r['count']}x"
                for r in seen[:10])
            + ("\n… `monocyte coverage --seen`" if len(seen) > 10 else "")
        )[:3000]}})
    if flows:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": (
            "*Data flows out of the EU (replication rules, reported, never deleted)*\n"
            + "\n".join(f"{r['event']}: `{r['source']}` in {r['region']} ({r['account']}) "
                        f"to {r['destination']}" for r in flows[:10])
            + (f"\n… and {len(flows) - 10} more (monocyte log)" if len(flows) > 10 else "")
        )[:3000]}})
    if reap_failures is None:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": (
            "*Reaper's dead-letter queue*\nmonocyte-reap-dlq cannot be read: events the "
            "reaper could not take are not counted here.")}})
    elif reap_failures:
        rows = [f"{f['account']} {f['region']} {f['event']} at {f['time']}: {f['condition']}"
                for f in reap_failures[:10]]
        if len(reap_failures) > 10:
            rows.append(f"… and {len(reap_failures) - 10} more")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": (
            f"*Events the reaper could not take: {len(reap_failures)}* (in "
            "monocyte-reap-dlq; the nightly scan is the net for what they created)\n"
            + "\n".join(rows))[:3000]}})
    return {"text": title, "blocks": blocks}


def uncovered_rows(records: list[dict]) -> list[dict]:
    """Uncovered-create records grouped per (account, region, call), most calls first."""
    rows: dict[tuple, dict] = {}
    for record in records:
        key = (record.get("account", ""), record.get("region", ""), record.get("event", ""))
        row = rows.setdefault(key, {"account": key[0], "region": key[1], "event": key[2],
                                    "count": 0})
        row["count"] += 1
    return sorted(rows.values(), key=lambda r: (-r["count"], r["event"], r["region"]))


def data_flow_rows(records: list[dict]) -> list[dict]:
    """Data-flow records, one row per (account, source, destination region)."""
    rows: dict[tuple, dict] = {}
    for record in records:
        dest = dataflow.destination_of(record.get("notes"))
        key = (record.get("account", ""), record.get("id", ""), dest)
        rows.setdefault(key, {"account": key[0], "source": key[1], "destination": dest,
                              "region": record.get("region", ""),
                              "event": record.get("event", "")})
    return sorted(rows.values(), key=lambda r: (r["account"], r["source"], r["destination"]))


def _report_message(text: str, title: str, fields: list[dict], context: str) -> dict:
    """A report that deleted nothing: a header, its facts, and what to do (Block Kit's
    limits: a header's text 150 characters, a context element 3,000)."""
    return {
        "text": text,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
            {"type": "section", "fields": fields},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context[:3000]}]},
        ],
    }


def data_flow_message(outcome: Outcome, account_name: str | None = None) -> dict:
    """The one message a day per (account, EU source, destination region): a
    replication rule sending data out of the allowed regions."""
    source, _, name = outcome.event.partition(":")
    dest = dataflow.destination_of(outcome.notes)
    title = f"Data flow out of the EU: {name} ({source.split('.')[0]}) to {dest}"
    account = outcome.account + (f" ({account_name})" if account_name else "")
    fields = [
        _field("Source (kept)", f"`{outcome.id}` in {outcome.region}"),
        _field("Destination", dest),
        _field("Account", account),
        _field("Called by", outcome.creator or "unknown"),
        _field("Called at", outcome.created or "unknown"),
        _field("Call", f"`{outcome.event}`"),
    ]
    context = (f"{outcome.reason}. Nothing was deleted. Reported once a day per account, "
               "source and destination region; remove the rule if the data must stay "
               "in the EU.")
    return _report_message(f"{title} ({outcome.account})", title, fields, context)


def uncovered_message(outcome: Outcome, account_name: str | None = None) -> dict:
    """The one message a day for an uncovered create: what was called, where, by whom,
    and what to do about it."""
    source, _, name = outcome.event.partition(":")
    title = f"Uncovered create: {name} ({source.split('.')[0]})"
    account = outcome.account + (f" ({account_name})" if account_name else "")
    fields = [
        _field("Call", f"`{outcome.event}`"),
        _field("Region", outcome.region),
        _field("Account", account),
        _field("Called by", outcome.creator or "unknown"),
        _field("Called at", outcome.created or "unknown"),
        _field("Event", f"`{outcome.id or 'unknown'}`"),
    ]
    context = (f"{outcome.reason}. Nothing was deleted: no resource type knows this call. "
               "Reported once a day per account, region and call; "
               "`monocyte coverage --seen` ranks them. Cover it with a type, or exempt it.")
    return _report_message(f"{title} in {outcome.region} ({outcome.account})", title,
                           fields, context)


def breaker_message(reason: str) -> dict:
    """The one alert when the blast-radius breaker opens."""
    title = "Monocyte is REPORT-ONLY: the blast-radius breaker is open"
    if reason.startswith("account "):
        title = f"Monocyte is REPORT-ONLY in {reason.split(' ', 2)[1]}: the breaker quarantined it"
    text = (f"{reason}. No more deletes there until an operator has looked: "
            "`monocyte breaker status`, then `monocyte breaker reset` "
            "(`--account ID` for one account).")
    return {"text": f"{title}: {reason}",
            "blocks": [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
                       {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}]}


def render_text(message: dict) -> str:
    """A message as plain text, the way a phone shows it (for the demo)."""
    lines = []
    for block in message.get("blocks", []):
        if block["type"] == "header":
            lines.append(f"== {block['text']['text']} ==")
        elif block["type"] == "section":
            if "text" in block:
                lines.append(block["text"]["text"].replace("*", ""))
            for field in block.get("fields", []):
                label, _, value = field["text"].partition("\n")
                lines.append(f"{label.strip('*')}: {value.strip('`')}")
        elif block["type"] == "context":
            lines += [e["text"] for e in block["elements"]]
    return "\n".join(lines)
