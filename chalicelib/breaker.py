"""The blast-radius breaker, per account: an account whose kills pass its limit within
a window is **quarantined** (report-only there, one alert naming it) until an operator
resets it; every other account is still enforced.

What it guards against is Monocyte itself going wrong (a bad allowed-region setting, a
registry bug, a listing that misplaces resources) and deleting resources that teams
rely on. Such a mistake shows as many kills of long-lived resources; a team creating
throwaway resources outside the EU shows as kills of resources seconds old, which is
Monocyte doing its job. So a kill weighs by the age of what it killed (``weight``),
only kills that succeeded count (a failed or cut-off kill deleted nothing), and they
are counted after the delete, decided before it from the current count.

The overall limit, when set, stops every account; each account adds at most its own
limit to it, so no single account can reach it (the settings require it to be
higher than the per-account limit).

Counts live in the verdict table when there is one, so every Lambda instance shares
them; otherwise in memory, for one process (the command line).
"""
from __future__ import annotations

import datetime
import logging
import threading
import time
from typing import Any, Callable

from chalicelib import log
from chalicelib.config import Settings
from chalicelib.errors import AwsError, aws_errors

_DAY = "breaker"  # the partition of the breaker's items in the verdict table
OVERALL = "all"   # the scope of the overall state and counter

# A kill's weight, in tenths of a kill, by the age of what it killed. A resource
# killed within the hour of its creation is what the event path is for (a team's
# mistake caught at once: five of them weigh one kill); one that lived for a day
# or more, or whose age nobody knows, is what a misconfigured Monocyte would
# destroy, and weighs a whole kill.
TENTHS = 10
_WEIGHTS = ((3600, 2), (86400, 5))  # (younger than N seconds, weight in tenths)
_WEIGHT_OLD = TENTHS


def weight(created: str | None, now: float | None = None) -> int:
    """The weight (tenths of a kill) of killing a resource created at ``created``."""
    if not created:
        return _WEIGHT_OLD
    try:
        when = datetime.datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return _WEIGHT_OLD
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    age = (now if now is not None else time.time()) - when.timestamp()
    for younger_than, tenths in _WEIGHTS:
        if age < younger_than:
            return tenths
    return _WEIGHT_OLD


class MemoryStore:
    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._states: dict[str, str] = {}
        self._lock = threading.Lock()

    def add(self, key: str, amount: int) -> int:
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + amount
            return self._counts[key]

    def count(self, key: str) -> int:
        return self._counts.get(key, 0)

    def held(self, account: str) -> str | None:
        return self._states.get(OVERALL) or self._states.get(account)

    def states(self) -> dict[str, str]:
        return dict(self._states)

    def trip(self, scope: str, reason: str) -> bool:
        with self._lock:
            first = scope not in self._states
            self._states.setdefault(scope, reason)
            return first

    def reset(self, scope: str | None = None) -> None:
        with self._lock:
            if scope is None:
                self._states.clear()
                self._counts.clear()
                return
            self._states.pop(scope, None)
            for key in [k for k in self._counts if k.startswith(f"{scope}#")]:
                del self._counts[key]

    def first_use(self, token: str) -> bool:
        return False  # one process: the command resets it, not a setting


class TableStore:
    """Atomic counters and the states (overall, per account) as items of the
    verdict table."""

    def __init__(self, clients: Any, region: str, table: str) -> None:
        self.clients, self.region, self.table = clients, region, table

    @property
    def client(self) -> Any:
        # Made at the first kill, not at a cold start that may only ignore events.
        return self.clients.client("dynamodb", self.region)

    def _key(self, at: str) -> dict:
        return {"day": {"S": _DAY}, "at": {"S": at}}

    def add(self, key: str, amount: int) -> int:
        with aws_errors():
            answer = self.client.update_item(
                TableName=self.table, Key=self._key(f"count#{key}"),
                UpdateExpression="ADD kills :n SET expires = :expires",
                ExpressionAttributeValues={":n": {"N": str(amount)},
                                           ":expires": {"N": str(int(time.time()) + 86400)}},
                ReturnValues="UPDATED_NEW")
        return int(answer["Attributes"]["kills"]["N"])

    def count(self, key: str) -> int:
        with aws_errors():
            item = self.client.get_item(TableName=self.table, Key=self._key(f"count#{key}"),
                                        ConsistentRead=True).get("Item")
        return int(item["kills"]["N"]) if item else 0

    def held(self, account: str) -> str | None:
        """The overall state or the account's quarantine, in one call."""
        keys = [self._key(f"state#{OVERALL}"), self._key(f"state#{account}")]
        with aws_errors():
            answer = self.client.batch_get_item(RequestItems={self.table: {
                "Keys": keys, "ConsistentRead": True}})
        if answer.get("UnprocessedKeys"):
            raise AwsError("breaker state: BatchGetItem left keys unread",
                           "UnprocessedKeys")
        found = {i["at"]["S"]: i["reason"]["S"] for i in answer["Responses"].get(self.table, [])}
        return found.get(f"state#{OVERALL}") or found.get(f"state#{account}")

    def _items(self) -> list[dict]:
        with aws_errors():
            pages = self.client.get_paginator("query").paginate(
                TableName=self.table, KeyConditionExpression="#d = :d",
                ExpressionAttributeNames={"#d": "day"},
                ExpressionAttributeValues={":d": {"S": _DAY}}, ConsistentRead=True)
            return [item for page in pages for item in page.get("Items", [])]

    def states(self) -> dict[str, str]:
        return {i["at"]["S"].split("#", 1)[1]: i["reason"]["S"] for i in self._items()
                if i["at"]["S"].startswith("state#")}

    def trip(self, scope: str, reason: str) -> bool:
        """True for the one caller that trips it (the one that sends the alert)."""
        return self._put_new(f"state#{scope}", {"reason": {"S": reason}})

    def _put_new(self, at: str, fields: dict) -> bool:
        """Write the item unless it exists: True for the one caller that wrote it."""
        try:
            with aws_errors():
                self.client.put_item(
                    TableName=self.table, Item={**self._key(at), **fields},
                    ConditionExpression="attribute_not_exists(#d)",
                    ExpressionAttributeNames={"#d": "day"})
            return True
        except AwsError as error:
            if error.code == "ConditionalCheckFailedException":
                return False
            raise

    def reset(self, scope: str | None = None) -> None:
        # Counts go too: the window that tripped it must not trip it again at once.
        mine = (f"state#{scope}", f"count#{scope}#") if scope else None
        for item in self._items():
            at = item["at"]["S"]
            if at.startswith("reset#"):
                continue
            if mine and not (at == mine[0] or at.startswith(mine[1])):
                continue
            with aws_errors():
                self.client.delete_item(TableName=self.table, Key=self._key(at))

    def first_use(self, token: str) -> bool:
        """True the first time ``token`` is seen (MONOCYTE_BREAKER_RESET's value)."""
        return self._put_new(f"reset#{token}", {})


class Breaker:
    """Asked before every delete (``allow``), told after every kill (``record``);
    ``alert`` gets one message per account it quarantines (and one if the overall
    limit opens it)."""

    def __init__(self, settings: Settings, store: Any,
                 alert: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings, self.store, self.alert, self.clock = settings, store, alert, clock

    @property
    def _account_limit(self) -> int:
        return self.settings.breaker_account_limit * TENTHS

    @property
    def _overall_limit(self) -> int:
        return self.settings.breaker_limit * TENTHS

    def open_reason(self, account: str) -> str | None:
        """Why ``account`` is report-only (quarantined, or everything open), or None
        when kills may go ahead there."""
        try:
            return self.store.held(account)
        except AwsError as error:
            # Not knowing is treated as open: a kill it cannot count is not made.
            return f"breaker state unreadable ({error.code or error})"

    def allow(self, account: str) -> bool:
        return self.open_reason(account) is None

    def _window(self) -> int:
        return int(self.clock() // self.settings.breaker_window_seconds)

    def weight(self, created: str | None) -> int:
        return weight(created, self.clock())

    def record(self, account: str, created: str | None) -> None:
        """Count one kill that succeeded; quarantine the account past its limit."""
        window, tenths = self._window(), self.weight(created)
        try:
            mine = self.store.add(f"{account}#{window}", tenths)
            # Only what is within the account's own limit counts overall.
            share = max(0, min(tenths, self._account_limit - (mine - tenths)))
            overall = self.store.add(f"{OVERALL}#{window}", share) if share else None
        except AwsError as error:
            self._quarantine(account, f"cannot count its kills ({error.code or error})")
            return
        if mine > self._account_limit:
            self._quarantine(account, f"more than {self.settings.breaker_account_limit} "
                                      f"kills in {self._minutes()} minutes")
        if overall is not None and self._overall_limit and overall > self._overall_limit:
            self._open(f"more than {self.settings.breaker_limit} kills in "
                       f"{self._minutes()} minutes over several accounts")

    def check_plan(self, planned: dict[str, int]) -> None:
        """Before a scan deletes anything: quarantine each account whose planned kills
        (weights in tenths) would pass its limit with what it already killed this
        window, so that none of its kills is made; every other account goes ahead."""
        window = self._window()
        shares = 0
        for account, tenths in sorted(planned.items()):
            try:
                current = self.store.count(f"{account}#{window}")
            except AwsError as error:
                self._quarantine(account, f"cannot count its kills ({error.code or error})")
                continue
            if current + tenths > self._account_limit:
                self._quarantine(account, f"a scan would kill resources weighing "
                                          f"{(current + tenths) / TENTHS:g} kills there this "
                                          f"window, more than the limit of "
                                          f"{self.settings.breaker_account_limit}")
                continue
            shares += tenths
        if not self._overall_limit:
            return
        try:
            overall = self.store.count(f"{OVERALL}#{window}") + shares
        except AwsError as error:
            self._open(f"cannot count kills ({error.code or error})")
            return
        if overall > self._overall_limit:
            self._open(f"a scan would kill resources weighing {overall / TENTHS:g} kills "
                       f"over several accounts, more than the limit of "
                       f"{self.settings.breaker_limit}")

    def status(self) -> dict:
        window = self._window()
        states = self.store.states()
        return {"open": states.get(OVERALL),
                "quarantined": {a: r for a, r in sorted(states.items()) if a != OVERALL},
                "kills": self.store.count(f"{OVERALL}#{window}") / TENTHS,
                "limit": self.settings.breaker_limit,
                "account_limit": self.settings.breaker_account_limit,
                "window": self.settings.breaker_window_seconds}

    def reset(self, account: str | None = None) -> None:
        """Close it for one account (its quarantine and counts), or everywhere."""
        self.store.reset(account)

    def _minutes(self) -> int:
        return self.settings.breaker_window_seconds // 60

    def _quarantine(self, account: str, why: str) -> None:
        self._trip(account, f"account {account} quarantined: {why}; report-only there "
                            f"until `monocyte breaker reset --account {account}`, every "
                            "other account is still enforced")

    def _open(self, why: str) -> None:
        self._trip(OVERALL, f"every account report-only: {why}; until "
                            "`monocyte breaker reset`")

    def _trip(self, scope: str, reason: str) -> None:
        try:
            first = self.store.trip(scope, reason)
        except AwsError:
            first = False
        if first and self.alert is not None:
            self.alert(reason)


def build(settings: Settings, clients: Any,
          alert: Callable[[str], None] | None = None) -> Breaker | None:
    if not settings.breaker_limit:
        return None
    store: Any = MemoryStore()
    if settings.audit_table:
        store = TableStore(clients, settings.home_region, settings.audit_table)
    built = Breaker(settings, store, alert)
    if settings.breaker_reset:
        # An operator who cannot run the command sets a new value and redeploys.
        try:
            if store.first_use(settings.breaker_reset):
                store.reset()
                log.emit("breaker-reset", by="MONOCYTE_BREAKER_RESET",
                         token=settings.breaker_reset)
        except AwsError as error:
            log.emit("breaker-reset-failed", logging.ERROR, reason=str(error))
    return built
