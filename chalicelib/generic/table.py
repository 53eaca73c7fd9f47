"""The generic layer's table: one row per CloudFormation type that Cloud Control
lists and deletes for us, generated from AWS's provider schemas (generate.py) and
read here from the checked-in types.json, lazily and once.

Fields of a row (``GenericType``):
- ``type_name``: CloudFormation's name, e.g. ``AWS::Cognito::UserPool``.
- ``service``: the IAM prefix of its handlers' actions, e.g. ``cognito-idp``.
- ``event_source``: CloudTrail's eventSource of its create calls.
- ``create_events``: CloudTrail eventNames that make one (operations of the
  service's botocore model, in CloudTrail's spelling).
- ``identifier``: the schema's ``primaryIdentifier`` property names, in order.
- ``id_paths``: for each identifier, a jmespath over a record's ``detail`` where it
  usually is; empty when unknown (the engine then sweeps: lists the type).
- ``list_permissions`` / ``read_permissions`` / ``delete_permissions``: IAM actions
  of the schema's handlers, only real actions of AWS's reference.
- ``parent`` / ``parent_property``: the type whose resources must be listed to list
  this one, and the list request's ResourceModel property its identifier fills.
- ``defaults``: rules that mark what AWS makes by itself; each is
  ``{"property": P, "equals": V}`` (the property equals V) or
  ``{"property": P, "prefix": S}`` (a string property starts with S).
- ``event_only``: cannot be listed (its parent is neither generic nor curated).
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os

PATH = os.path.join(os.path.dirname(__file__), "types.json")


@dataclasses.dataclass(frozen=True)
class GenericType:
    type_name: str
    service: str
    event_source: str = ""
    create_events: tuple[str, ...] = ()
    identifier: tuple[str, ...] = ()
    id_paths: tuple[str, ...] = ()
    list_permissions: tuple[str, ...] = ()
    read_permissions: tuple[str, ...] = ()
    delete_permissions: tuple[str, ...] = ()
    parent: str | None = None
    parent_property: str | None = None
    defaults: tuple[dict, ...] = ()
    event_only: bool = False

    @classmethod
    def from_row(cls, row: dict) -> "GenericType":
        tuples = {f.name for f in dataclasses.fields(cls) if f.type.startswith("tuple")}
        return cls(**{k: tuple(v) if k in tuples else v for k, v in row.items()})

    def to_row(self) -> dict:
        """The compact form types.json holds: empty and default fields left out."""
        row = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value in ((), None, False):
                continue
            row[field.name] = list(value) if isinstance(value, tuple) else value
        return row


@functools.lru_cache(maxsize=1)
def load() -> dict[str, GenericType]:
    """Every generic type by CloudFormation name (read once)."""
    with open(PATH) as handle:
        rows = json.load(handle)["types"]
    return {row["type_name"]: GenericType.from_row(row) for row in rows}


@functools.lru_cache(maxsize=1)
def _by_event() -> dict[tuple[str, str], tuple[GenericType, ...]]:
    table: dict[tuple[str, str], list[GenericType]] = {}
    for gtype in load().values():
        for name in gtype.create_events:
            table.setdefault((gtype.event_source, name), []).append(gtype)
    return {key: tuple(value) for key, value in table.items()}


def by_event(event_source: str, event_name: str) -> tuple[GenericType, ...]:
    """The generic types an (eventSource, eventName) creates."""
    return _by_event().get((event_source, event_name), ())


def is_default(gtype: GenericType, properties: dict) -> bool:
    """Whether AWS made this resource by itself (never a finding)."""
    for rule in gtype.defaults:
        value = properties.get(rule["property"])
        if "equals" in rule and value == rule["equals"]:
            return True
        if "prefix" in rule and isinstance(value, str) and value.startswith(rule["prefix"]):
            return True
    return False
