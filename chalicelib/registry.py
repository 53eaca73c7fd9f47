"""The resource types Monocyte knows, as data, and lookups over them.

Each AWS service has one module under ``chalicelib/resources/`` that declares its
types with :class:`ResourceType`; this module collects them. Everything generic
(clients, error translation, dry-run, outcomes) lives in the engine, not here.
"""
from __future__ import annotations

import dataclasses
import datetime
import functools
from typing import Any, Callable, Iterable

import jmespath
import jmespath.parser

CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"


def utc_iso(value: Any) -> str | None:
    """A time from an AWS answer (datetime or text) as CloudTrail writes it."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value) if value else None


@dataclasses.dataclass(frozen=True)
class Live:
    """What the live check learned about a resource that exists.

    ``region`` is set when the resource itself says where it lives (an S3 bucket);
    otherwise it is the region of the client that found it. ``protected`` says that
    termination or deletion protection is on. ``facts`` carries what the delete needs.
    """

    region: str | None = None
    protected: bool = False
    # A protection the live check may not read (EC2's termination protection needs
    # DescribeInstanceAttribute, which also reads user data: chalicelib.iam forbids
    # it): its name, for the report-only note.
    unread_protection: str = ""
    created: str | None = None
    facts: dict = dataclasses.field(default_factory=dict)
    # Where the delete call must be made, when not where the resource lives: a
    # replica is removed through its primary (a secret's, a global table's).
    delete_region: str | None = None
    # Regions holding copies that deleting this resource would take with it (or
    # that keep it alive): when any of them is allowed, it is spared, never killed.
    also_in: tuple[str, ...] = ()
    # The resource's tags, when the live check's answer carries them (for tag
    # exemptions); None when this type's live check does not read them.
    tags: dict | None = None
    # Why the resource itself says it must be spared (a stack proven to be a StackSet
    # instance, one holding global resources): the reaper spares and reports it.
    keep: str | None = None
    # What the live check adds to the kill's reason (a look-alike name, say).
    note: str | None = None
    # The resource's own ids, when the target's id is not one (a copy the record names
    # only by its source): the allowlist and protection patterns are asked about
    # each of them too.
    names: tuple[str, ...] = ()


def tag_dict(tags: Any) -> dict:
    """AWS's ``[{"Key": k, "Value": v}]`` tag lists (any capitalisation) as a dict."""
    found = {}
    for tag in tags or []:
        if isinstance(tag, dict):
            key = tag.get("Key", tag.get("key"))
            if isinstance(key, str):
                found[key] = str(tag.get("Value", tag.get("value", "")))
    return found


@dataclasses.dataclass(frozen=True)
class CreateEvent:
    """A CloudTrail event that creates resources of one type.

    ``ids`` is a JMESPath expression over the whole EventBridge event (so it starts
    with ``detail.``) giving the identifier the delete call takes, or a list of them;
    exactly ``false`` means the record is another type's (two types share the event
    name, as classic and v2 load balancers do), and the entry quietly does not apply.
    ``region`` optionally places the resource from the event when it does not live
    in ``detail.awsRegion``; it returns None when it cannot tell.
    ``place`` replaces both for calls that create in several regions at once (replica
    regions): it returns every (id, region) pair the event created, or (id, region,
    account) for one made in another account than the caller's (a copy into another
    account's backup vault).
    """

    source: str
    name: str
    ids: str
    region: Callable[[dict], str | None] | None = None
    place: Callable[[dict], list[tuple[str, ...]]] | None = None

    @functools.cached_property
    def compiled(self) -> jmespath.parser.ParsedResult:
        return jmespath.compile(self.ids)

    @property
    def aws_source(self) -> str:
        """The EventBridge ``source`` of this event: ec2.amazonaws.com -> aws.ec2."""
        return "aws." + self.source.split(".", 1)[0]


@dataclasses.dataclass(frozen=True)
class Listing:
    """How to find every resource of a type in one region (or, with ``per_account``,
    once per account).

    ``operation`` is the boto3 method, paginated with botocore's paginator, called
    with ``params``. JMESPath: ``items`` picks the resources out of one page, ``id``
    the identifier the delete call takes out of one item, ``created`` its creation
    time, ``region`` where it lives (per-account types). ``locate(client, id)`` places
    an item whose page does not say where it lives. ``keep(client, item)`` drops items
    a scan must not act on and the page cannot tell apart (AWS's own KMS keys), so
    that they are neither findings nor counted by the breaker's plan.
    """

    operation: str
    items: str
    id: str
    created: str | None = None
    params: dict = dataclasses.field(default_factory=dict)
    per_account: bool = False
    region: str | None = None
    locate: Callable[[Any, str], str] | None = None
    keep: Callable[[Any, dict], bool] | None = None

    @functools.cached_property
    def compiled(self) -> dict[str, jmespath.parser.ParsedResult]:
        paths = {"items": self.items, "id": self.id, "created": self.created,
                 "region": self.region}
        return {key: jmespath.compile(path) for key, path in paths.items() if path}


@dataclasses.dataclass(frozen=True)
class ResourceType:
    """One kind of resource, declared once.

    - ``cfn_type``: CloudFormation's type name, used everywhere (audit, Slack, CLI).
    - ``service``: the boto3 client name.
    - ``events``: the create events that make it.
    - ``inspect(client, id) -> Live | None``: the live check; None when the resource
      is gone or on its way out. May raise NotFound, which means the same.
    - ``delete(client, id, live, force) -> list[str]``: deletes it with its
      prerequisites, returns notes of what it had to do (protection disabled...).
      With ``force`` off it raises Protected instead of disabling protection.
    - ``listing``: how the nightly scan finds them; None for a type that only events
      name (a global table's replica: the scan finds it as a table in its region).
    - ``actions``: the IAM actions inspect, delete and listing use.
    - ``not_found`` / ``not_ready`` / ``protected``: the service's error codes that
      mean gone, not deletable yet, and refused because of protection.
    - ``lasting`` / ``cut_off``: see below.
    """

    cfn_type: str
    service: str
    events: tuple[CreateEvent, ...]
    inspect: Callable[[Any, str], Live | None]
    delete: Callable[[Any, str, Live, bool], list[str]]
    listing: Listing | None
    actions: tuple[str, ...]
    not_found: tuple[str, ...] = ()
    not_ready: tuple[str, ...] = ()
    protected: tuple[str, ...] = ()
    # Error codes of a delete that will never succeed (an Object Lock): with
    # AccessDenied, they make the reaper cut the resource off with ``cut_off(client,
    # id) -> notes`` (nobody can read it) and escalate, where the type has one.
    lasting: tuple[str, ...] = ()
    cut_off: Callable[[Any, str], list[str]] | None = None


@functools.lru_cache(maxsize=1)
def modules() -> tuple[Any, ...]:
    """Every module under chalicelib/resources/, in name order: adding a service is
    adding its module, nothing else."""
    import importlib
    import pkgutil

    from chalicelib import resources

    names = sorted(m.name for m in pkgutil.iter_modules(resources.__path__))
    return tuple(importlib.import_module(f"chalicelib.resources.{name}") for name in names)


@functools.lru_cache(maxsize=1)
def all_types() -> tuple[ResourceType, ...]:
    return tuple(t for module in modules() for t in module.TYPES)


def listed_types() -> tuple[ResourceType, ...]:
    """The types the scan lists."""
    return tuple(t for t in all_types() if t.listing)


@functools.lru_cache(maxsize=1)
def _by_type() -> dict[str, ResourceType]:
    return {t.cfn_type: t for t in all_types()}


@functools.lru_cache(maxsize=1)
def _by_event() -> dict[tuple[str, str], tuple[tuple[ResourceType, CreateEvent], ...]]:
    table: dict[tuple[str, str], list[tuple[ResourceType, CreateEvent]]] = {}
    for rtype in all_types():
        for event in rtype.events:
            table.setdefault((event.source, event.name), []).append((rtype, event))
    return {key: tuple(value) for key, value in table.items()}


def get(cfn_type: str) -> ResourceType:
    """The type named by its CloudFormation name; KeyError when unknown."""
    return _by_type()[cfn_type]


def claims(event_source: str, event_name: str) -> tuple[tuple[ResourceType, CreateEvent], ...]:
    """The types (with their event entry) that an (eventSource, eventName) creates."""
    return _by_event().get((event_source, event_name), ())


def event_pattern(settings: Any = None) -> dict:
    """The EventBridge pattern of ``reap`` and the forwarders (see chalicelib/pattern.py):
    create-style calls outside the allowed regions and the cross-region calls, whatever
    types are registered. The allowed regions are ``settings``' or, by default, the
    deploy-time environment's (MONOCYTE_ALLOWED_REGIONS)."""
    from chalicelib import pattern

    if settings is None:
        return pattern.from_env()
    return pattern.build(settings.allowed_regions)


def iam_actions() -> tuple[str, ...]:
    """Every IAM action the registry's inspect and delete functions use."""
    return tuple(sorted({a for t in all_types() for a in t.actions}))
