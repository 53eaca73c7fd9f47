"""The IAM actions the generic layer needs (its types' list, read and delete handlers
plus Cloud Control's own), compressed so the member role's policies stay few: per
service ``svc:List*`` and ``svc:Describe*`` where every action they match in AWS's
reference (parliament's copy) is a List or Read, ``svc:Delete*`` for the deletes
(all region-guarded writes), exact actions for the rest.

Build-time and test helper: the member role does not use it yet (see the report)."""
from __future__ import annotations

import fnmatch
import functools
import json
import os

# Cloud Control's actions are spelled under cloudformation:.
CLOUD_CONTROL = ("cloudformation:DeleteResource", "cloudformation:GetResource",
                 "cloudformation:GetResourceRequestStatus", "cloudformation:ListResources")
METADATA_LEVELS = frozenset({"List", "Read"})


@functools.lru_cache(maxsize=1)
def access_levels() -> dict[str, dict[str, str]]:
    """IAM prefix -> {action: access level} from parliament's data."""
    import parliament

    path = os.path.join(os.path.dirname(parliament.__file__), "iam_definition.json")
    with open(path) as handle:
        data = json.load(handle)
    found: dict[str, dict[str, str]] = {}
    for service in data:
        for privilege in service["privileges"]:
            found.setdefault(service["prefix"], {})[privilege["privilege"]] = (
                privilege["access_level"])
    return found


def exact() -> tuple[str, ...]:
    from chalicelib.generic import load

    return tuple(sorted({a for g in load().values() for a in (
        *g.list_permissions, *g.read_permissions, *g.delete_permissions)} | set(CLOUD_CONTROL)))


def expand(pattern: str) -> tuple[str, ...]:
    """Every action of AWS's reference a pattern matches."""
    prefix, _, name = pattern.partition(":")
    return tuple(f"{prefix}:{a}" for a in access_levels().get(prefix, {})
                 if fnmatch.fnmatchcase(a.lower(), name.lower()))


def _wildcard_is_metadata(pattern: str) -> bool:
    levels = access_levels().get(pattern.split(":")[0], {})
    matched = expand(pattern)
    return bool(matched) and all(levels[a.split(":")[1]] in METADATA_LEVELS for a in matched)


def compressed() -> tuple[str, ...]:
    """The exact actions with the safe wildcards folded in."""
    kept = set()
    for action in exact():
        prefix, _, name = action.partition(":")
        for verb in ("List", "Describe"):
            if name.startswith(verb) and _wildcard_is_metadata(f"{prefix}:{verb}*"):
                kept.add(f"{prefix}:{verb}*")
                break
        else:
            kept.add(f"{prefix}:Delete*" if name.startswith("Delete") else action)
    return tuple(sorted(kept))


def member_actions() -> tuple[str, ...]:
    """What the member role may be given of ``compressed()``: the metadata reads
    iam.is_read accepts, the deletes (region-guarded) and the wildcards, never a global
    service. The handlers also ask for data reads (secretsmanager:GetSecretValue,
    cassandra:Select …) and side writes (iam:PutRolePolicy, ec2:AllocateAddress …):
    those are left out, so Cloud Control is refused there and the resource is spared
    and reported, the safe direction."""
    from chalicelib import iam

    kept = []
    for action in compressed():
        prefix, _, name = action.partition(":")
        if prefix in iam.GLOBAL_SERVICES:
            continue
        if name.endswith("*") or name.startswith("Delete") or iam.is_read(action):
            kept.append(action)
    return tuple(kept)
