"""The verdict log: one DynamoDB item per decision worth proving later.

Items are keyed by UTC day and time, so the recent verdicts are a few Query calls
(one per day), never a Scan. Old items expire through DynamoDB's time to live.
"""
from __future__ import annotations

import datetime
import logging
import uuid
from typing import Any, Iterator

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from chalicelib import limits, log, reaper
from chalicelib.errors import AwsError, aws_errors
from chalicelib.reaper import Outcome

# The table's shape, shared by the CloudFormation template and the sandbox.
KEY_SCHEMA = [{"AttributeName": "day", "KeyType": "HASH"},
              {"AttributeName": "at", "KeyType": "RANGE"}]
ATTRIBUTES = [{"AttributeName": "day", "AttributeType": "S"},
              {"AttributeName": "at", "AttributeType": "S"}]
TTL_ATTRIBUTE = "expires"

_SERIALIZE = TypeSerializer().serialize

# A verdict item must fit in DynamoDB's item size: what is cut first, and what only when
# that is not enough. Type, region, account, action and time are never cut.
_CUTTABLE = ("notes", "reason", "creator", "created", "event")
_CUT_LAST = ("id",)
# Room left for the key, the day, the expiry and the ``cut`` list.
_ITEM_BUDGET = limits.DYNAMODB_ITEM_MAX_BYTES - 4_096
_ID_IN_KEY = 256  # with the time, type and suffix, well under the 1,024-byte sort key
_DESERIALIZE = TypeDeserializer().deserialize


def worth_recording(outcome: Outcome) -> bool:
    """Kills, would-be kills, failures, deferrals, cut-offs, uncovered creates, data
    flows out of the allowed regions, and spares for any reason but an allowed region
    (a protection or an exemption is something to prove later)."""
    if outcome.action in (reaper.KILLED, reaper.WOULD_KILL, reaper.FAILED, reaper.DEFERRED,
                          reaper.CUT_OFF, reaper.UNCOVERED, reaper.DATA_FLOW):
        return True
    return outcome.action == reaper.SPARED and not outcome.reason.endswith("is allowed")


def _fits(item: dict) -> bool:
    return limits.dynamodb_item_bytes(
        {k: _SERIALIZE(v) for k, v in item.items()}) <= _ITEM_BUDGET


def _parse(moment: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(moment.replace("Z", "+00:00"))


class VerdictLog:
    """Writes and reads verdicts in one table (``client`` is a DynamoDB client)."""

    def __init__(self, client: Any, table: str, ttl_days: int = 400):
        self.client = client
        self.table = table
        self.ttl_days = ttl_days

    def write(self, outcome: Outcome) -> None:
        """Raises AwsError when the item could not be written. A verdict too big for
        one item (a huge event: endless notes, reasons, creator ARNs) is still
        recorded: the free text is cut, what identifies the resource is kept, and the
        item's ``cut`` attribute names what was cut."""
        when = _parse(outcome.at)
        item = {key: value for key, value in outcome.to_dict().items()
                if value not in (None, "", [])}
        item, cut = limits.shrink(item, _fits, _CUTTABLE, last_resort=_CUT_LAST)
        if cut:
            item["cut"] = cut
            log.emit("audit-cut", logging.WARNING, type=outcome.type, id=outcome.id[:200],
                     region=outcome.region, account=outcome.account, cut=cut)
        # Time first so a Query returns them in order; a suffix keeps two verdicts of
        # the same second apart. The key holds the start of the id only: a sort key
        # is at most 1,024 bytes, and the whole id is an attribute of its own.
        key = f"{outcome.at}#{outcome.type}#{outcome.id[:_ID_IN_KEY]}#{uuid.uuid4().hex[:8]}"
        item.update(day=when.strftime("%Y-%m-%d"), at=key,
                    expires=int(when.timestamp()) + self.ttl_days * 86400)
        with aws_errors():
            self.client.put_item(TableName=self.table,
                                 Item={k: _SERIALIZE(v) for k, v in item.items()})

    def write_once(self, outcome: Outcome, key: str) -> bool:
        """Write the outcome under a key of its own (an event id): False, and nothing
        written, when an item has that key already (the event was delivered again).
        Filed under the event's own time when it has one, so that every delivery of
        one event lands on the same item. Raises AwsError when it could not write."""
        moment = outcome.created or outcome.at
        try:
            when = _parse(moment)
        except ValueError:
            moment, when = outcome.at, _parse(outcome.at)
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        when = when.astimezone(datetime.timezone.utc)
        item = {k: v for k, v in outcome.to_dict().items() if v not in (None, "", [])}
        item.update(day=when.strftime("%Y-%m-%d"),
                    at=f"{when.strftime('%Y-%m-%dT%H:%M:%SZ')}#{outcome.action}#{key}",
                    expires=int(when.timestamp()) + self.ttl_days * 86400)
        return self._put_new({k: _SERIALIZE(v) for k, v in item.items()})

    def mark(self, day: str, name: str, ttl_days: int = 2) -> bool:
        """A marker item (``name`` on ``day``): True for the one caller that made it.
        Its sort key starts with a letter, so that ``recent`` never returns it."""
        expires = int(_parse(f"{day}T00:00:00Z").timestamp()) + ttl_days * 86400
        return self._put_new({"day": {"S": day}, "at": {"S": f"mark#{name}"},
                              "expires": {"N": str(expires)}})

    def _put_new(self, item: dict) -> bool:
        try:
            with aws_errors():
                self.client.put_item(TableName=self.table, Item=item,
                                     ConditionExpression="attribute_not_exists(#a)",
                                     ExpressionAttributeNames={"#a": "at"})
        except AwsError as error:
            if error.code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def recent(self, since: datetime.datetime, until: datetime.datetime | None = None,
               account: str | None = None, region: str | None = None,
               cfn_type: str | None = None) -> list[dict]:
        """Verdicts from ``since`` to ``until`` (default now), oldest first."""
        until = until or datetime.datetime.now(datetime.timezone.utc)
        wanted = {"account": account, "region": region, "type": cfn_type}
        found = []
        for day in _days(since, until):
            for item in self._day(day, since, until):
                if all(v is None or item.get(k) == v for k, v in wanted.items()):
                    found.append(item)
        return found

    def _day(self, day: str, since: datetime.datetime,
             until: datetime.datetime) -> Iterator[dict]:
        low = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        high = until.strftime("%Y-%m-%dT%H:%M:%SZ") + "~"  # '~' sorts after '#'
        with aws_errors():
            pages = self.client.get_paginator("query").paginate(
                TableName=self.table,
                KeyConditionExpression="#d = :d AND #a BETWEEN :low AND :high",
                ExpressionAttributeNames={"#d": "day", "#a": "at"},
                ExpressionAttributeValues={":d": {"S": day}, ":low": {"S": low},
                                           ":high": {"S": high}})
            for page in pages:
                for item in page.get("Items", []):
                    yield {k: _DESERIALIZE(v) for k, v in item.items()}


def _days(since: datetime.datetime, until: datetime.datetime) -> list[str]:
    days, day = [], since.date()
    while day <= until.date():
        days.append(day.strftime("%Y-%m-%d"))
        day += datetime.timedelta(days=1)
    return days


def create_table(client: Any, table: str) -> None:
    """Make the table (the sandbox's stand-in for the deployed template)."""
    client.create_table(TableName=table, KeySchema=KEY_SCHEMA, AttributeDefinitions=ATTRIBUTES,
                        BillingMode="PAY_PER_REQUEST")
    client.update_time_to_live(TableName=table, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": TTL_ATTRIBUTE})


def template(table: str = "monocyte-verdicts") -> dict:
    """CloudFormation for the verdict table, to merge into ``chalice package``."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Monocyte verdict log",
        "Resources": {
            "VerdictTable": {
                "Type": "AWS::DynamoDB::Table",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "TableName": table,
                    "KeySchema": KEY_SCHEMA,
                    "AttributeDefinitions": ATTRIBUTES,
                    "BillingMode": "PAY_PER_REQUEST",
                    "TimeToLiveSpecification": {"Enabled": True,
                                                "AttributeName": TTL_ATTRIBUTE},
                    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                    "SSESpecification": {"SSEEnabled": True},
                    "DeletionProtectionEnabled": True,
                },
            },
        },
        "Outputs": {"VerdictTableName": {"Value": {"Ref": "VerdictTable"}}},
    }
