"""The blast-radius breaker: more kills than a limit within a window (per account, or
overall) switches the reaper to report-only and sends one alert. It stays open until
an operator resets it (``monocyte breaker reset``).

Counts live in the verdict table when there is one, so every Lambda instance shares
them; otherwise in memory, for one process (the command line).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from chalicelib import log
from chalicelib.config import Settings
from chalicelib.errors import AwsError, aws_errors

_DAY = "breaker"  # the partition of the breaker's items in the verdict table


class MemoryStore:
    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._state: str | None = None
        self._lock = threading.Lock()

    def add(self, key: str) -> int:
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]

    def count(self, key: str) -> int:
        return self._counts.get(key, 0)

    def tripped(self) -> str | None:
        return self._state

    def trip(self, reason: str) -> bool:
        with self._lock:
            first, self._state = self._state is None, self._state or reason
            return first

    def reset(self) -> None:
        with self._lock:
            self._state = None
            self._counts.clear()

    def first_use(self, token: str) -> bool:
        return False  # one process: the command resets it, not a setting


class TableStore:
    """Atomic counters and the tripped state as items of the verdict table."""

    def __init__(self, clients: Any, region: str, table: str) -> None:
        self.clients, self.region, self.table = clients, region, table

    @property
    def client(self) -> Any:
        # Made at the first kill, not at a cold start that may only ignore events.
        return self.clients.client("dynamodb", self.region)

    def _key(self, at: str) -> dict:
        return {"day": {"S": _DAY}, "at": {"S": at}}

    def add(self, key: str) -> int:
        with aws_errors():
            answer = self.client.update_item(
                TableName=self.table, Key=self._key(f"count#{key}"),
                UpdateExpression="ADD kills :one SET expires = :expires",
                ExpressionAttributeValues={":one": {"N": "1"},
                                           ":expires": {"N": str(int(time.time()) + 86400)}},
                ReturnValues="UPDATED_NEW")
        return int(answer["Attributes"]["kills"]["N"])

    def count(self, key: str) -> int:
        with aws_errors():
            item = self.client.get_item(TableName=self.table, Key=self._key(f"count#{key}"),
                                        ConsistentRead=True).get("Item")
        return int(item["kills"]["N"]) if item else 0

    def tripped(self) -> str | None:
        with aws_errors():
            item = self.client.get_item(TableName=self.table, Key=self._key("state"),
                                        ConsistentRead=True).get("Item")
        return item["reason"]["S"] if item else None

    def trip(self, reason: str) -> bool:
        """True for the one caller that trips it (the one that sends the alert)."""
        return self._put_new("state", {"reason": {"S": reason}})

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

    def reset(self) -> None:
        # Counts go too: the window that tripped it must not trip it again at once.
        with aws_errors():
            pages = self.client.get_paginator("query").paginate(
                TableName=self.table, KeyConditionExpression="#d = :d",
                ExpressionAttributeNames={"#d": "day", "#a": "at"},
                ExpressionAttributeValues={":d": {"S": _DAY}}, ProjectionExpression="#d, #a")
            for page in pages:
                for item in page.get("Items", []):
                    if not item["at"]["S"].startswith("reset#"):
                        self.client.delete_item(TableName=self.table,
                                                Key=self._key(item["at"]["S"]))

    def first_use(self, token: str) -> bool:
        """True the first time ``token`` is seen (MONOCYTE_BREAKER_RESET's value)."""
        return self._put_new(f"reset#{token}", {})


class Breaker:
    """Asked before every delete; ``alert`` gets one message when it trips."""

    def __init__(self, settings: Settings, store: Any,
                 alert: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings, self.store, self.alert, self.clock = settings, store, alert, clock

    def open_reason(self) -> str | None:
        """Why it is open (report-only), or None when kills may go ahead."""
        try:
            return self.store.tripped()
        except AwsError as error:
            # Not knowing is treated as open: a kill it cannot count is not made.
            return f"breaker state unreadable ({error.code or error})"

    def _window(self) -> int:
        return int(self.clock() // self.settings.breaker_window_seconds)

    def status(self) -> dict:
        return {"open": self.store.tripped(), "kills": self.store.count(f"all#{self._window()}"),
                "limit": self.settings.breaker_limit,
                "account_limit": self.settings.breaker_account_limit,
                "window": self.settings.breaker_window_seconds}

    def allow(self, account: str) -> bool:
        """Count one kill; False (and trip) when it would pass a limit."""
        if self.open_reason():
            return False
        window = self._window()
        try:
            overall = self.store.add(f"all#{window}")
            mine = self.store.add(f"{account}#{window}")
        except AwsError as error:
            return self._trip(f"cannot count kills ({error.code or error})")
        minutes = self.settings.breaker_window_seconds // 60
        if overall > self.settings.breaker_limit:
            return self._trip(f"more than {self.settings.breaker_limit} kills in "
                              f"{minutes} minutes overall")
        if mine > self.settings.breaker_account_limit:
            return self._trip(f"more than {self.settings.breaker_account_limit} kills in "
                              f"{minutes} minutes in account {account}")
        return True

    def check_plan(self, kills: dict[str, int]) -> None:
        """Before a scan deletes anything: trip now when the kills it plans (per
        account) would pass a limit on their own, so that none of them is made."""
        total = sum(kills.values())
        if total > self.settings.breaker_limit:
            self._trip(f"a scan would kill {total} resources, more than the limit of "
                       f"{self.settings.breaker_limit}")
            return
        for account, count in sorted(kills.items()):
            if count > self.settings.breaker_account_limit:
                self._trip(f"a scan would kill {count} resources in account {account}, "
                           f"more than the limit of {self.settings.breaker_account_limit}")
                return

    def reset(self) -> None:
        self.store.reset()

    def _trip(self, reason: str) -> bool:
        try:
            first = self.store.trip(reason)
        except AwsError:
            first = False
        if first and self.alert is not None:
            self.alert(reason)
        return False


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
