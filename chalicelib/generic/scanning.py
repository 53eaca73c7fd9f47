"""The nightly scan's generic half: which rows of the generic table a scan lists, their
units, their listing through Cloud Control, and the check and delete phases routed to
the generic engine, so chalicelib/scan.py runs curated and generic units alike (same
pool, same reports, same breaker, exemptions and dry run).

A unit of a generic type is (account, region, type), as a curated one.  Cloud Control's
adaptive retries come from the shared clients (chalicelib.aws: retries mode adaptive),
and the scan's bounded pool bounds how many ListResources run at once.
"""
from __future__ import annotations

from typing import Any, Iterable

from chalicelib import registry
from chalicelib.errors import AwsError
from chalicelib.events import Target
from chalicelib.generic import engine
from chalicelib.generic import reap as generic

SERVICE = generic.SERVICE
# Cloud Control answers this for a type it does not offer in the region (a newer type
# not yet rolled out there): nothing of it can exist there, so nothing to find.
# An endpoint without Cloud Control at all (an emulator, moto in-process) answers a
# bare HTTP 404: the same for us, one unit that finds nothing rather than 440 failures.
NOT_OFFERED = ("TypeNotFoundException", "404")


def _rows() -> dict[str, Any]:
    try:
        from chalicelib.generic import table
    except ImportError:  # no generated table in this build
        return {}
    return table.load()


def _curated(name: str) -> bool:
    try:
        registry.get(name)
    except KeyError:
        return False
    return True


def is_generic(name: str) -> bool:
    """A type of the generic table that the curated layer does not hold (curated wins)."""
    return name in _rows() and not _curated(name)


def names() -> set[str]:
    """Every generic type name a scan can be narrowed to."""
    return {name for name in _rows() if not _curated(name)}


def listable(gtype: Any) -> bool:
    """Listed alone, or through a parent that is itself listed (generic or curated)."""
    if gtype.event_only:
        return False
    return not gtype.parent or gtype.parent in _rows() or _curated(gtype.parent)


def listed() -> list[Any]:
    """The generic rows a full scan lists."""
    return [g for name, g in sorted(_rows().items()) if not _curated(name) and listable(g)]


def chosen(types: Iterable[str] | None) -> list[Any]:
    """What a scan lists: curated ResourceTypes with a listing, then generic rows;
    ``types`` narrows it to those CloudFormation names."""
    if not types:
        return list(registry.listed_types()) + listed()
    found: list[Any] = []
    for name in types:
        if is_generic(name):
            gtype = _rows()[name]
            if listable(gtype):
                found.append(gtype)
        elif registry.get(name).listing:
            found.append(registry.get(name))
    return found


def owns(rtype: Any) -> bool:
    """Whether a planned type is a generic row (not a curated ResourceType)."""
    return hasattr(rtype, "type_name") and not hasattr(rtype, "cfn_type")


def plan(account: str, regions: Iterable[str], gtype: Any, clients: Any) -> list[Any]:
    """The units of a generic type: each scanned region where Cloud Control exists."""
    from chalicelib.scan import Unit

    offered = set(clients.available_regions(SERVICE))
    return [Unit(account, r, gtype.type_name) for r in regions if r in offered]


def _parent_models(gtype: Any, unit: Any, clients: Any, on_page: Any) -> list[dict]:
    """The list request's ResourceModel for each parent in the unit's region."""
    if not gtype.parent:
        return []
    rows = _rows()
    if gtype.parent in rows and not _curated(gtype.parent):
        client = clients.client(SERVICE, unit.region, unit.account)
        ids = [i for i, _ in engine.list_resources(client, rows[gtype.parent],
                                                   on_page=on_page)]
    else:
        from chalicelib import scan

        curated = scan.Unit(unit.account, unit.region, gtype.parent)
        ids = [t.id for t in scan.list_unit(curated, {unit.region}, clients,
                                            clients.settings, scan._Counter())]
    return [{gtype.parent_property: i} for i in ids]


def list_unit(unit: Any, clients: Any, on_page: Any = None) -> list[Target]:
    """Every resource of the unit's generic type in its region but AWS's defaults;
    ``on_page`` is called once per ListResources answer (the scan's call count)."""
    from chalicelib.generic import table

    gtype = _rows()[unit.type]
    client = clients.client(SERVICE, unit.region, unit.account)
    try:
        found = engine.findings(client, gtype, table.is_default,
                                _parent_models(gtype, unit, clients, on_page), on_page)
    except AwsError as error:
        if error.code in NOT_OFFERED:
            return []
        raise
    return [Target(unit.type, identifier, unit.region, unit.account, "scan", None, None)
            for identifier, _ in found]


def assess(target: Target, settings: Any, clients: Any) -> Any:
    """The check phase for any target: the generic engine's for a generic type."""
    from chalicelib import reaper

    if is_generic(target.type):
        return generic.assess(target, _rows()[target.type], settings, clients)
    return reaper.assess(target, settings, clients)


def execute(kill: Any, settings: Any, clients: Any, breaker: Any) -> Any:
    """The delete phase for any target: Cloud Control's delete for a generic type."""
    from chalicelib import reaper

    if is_generic(kill.target.type):
        return generic.execute(kill, settings, clients, breaker)
    return reaper.execute(kill, settings, clients, breaker)


def has_events(name: str) -> bool:
    """Whether the event path should have caught it (a create event is known)."""
    if is_generic(name):
        return bool(_rows()[name].create_events)
    return bool(registry.get(name).events)

